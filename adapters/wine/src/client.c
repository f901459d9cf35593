/*
 * client.exe: one client process of the run ("start" action). The driver starts it with
 * pipes for stdin and stdout and drives it one command at a time; the process lives in
 * the multithreaded apartment, so the server's calls into its callbacks arrive on COM's
 * own threads while the main thread waits for the next command.
 *
 *   client.exe <token>     the token only makes the process findable for `kill -9`
 *
 * Handles and callbacks are small numbers the driver assigns. Commands (stdin), each
 * answered "done <n> <hr> [value]" on stdout, except sync which a separate thread answers
 * at once (so the driver can flush this process's lines even while a call hangs):
 *   sync <n>
 *   sec <n> <authnLevel> <impLevel> <capabilities> <SDDL|->       CoInitializeSecurity
 *   act <n> <slot> <remote 0|1> <serverInfo 0|1> <authInfo 0|1> <authnSvc> <authnLevel>
 *       <impLevel> <identity>                                     CoCreateInstanceEx
 *   qi <n> <slot> <newSlot> <0 ITest|1 IUnknown|2 IMissing>      QueryInterface
 *   addref <n> <slot>            release <n> <slot>              call <n> <slot>
 *   blanket <n> <slot> <0 interface|1 IUnknown> <authnSvc> <authnLevel> <impLevel> <caps>
 *   advise <n> <slot> <cb>       passes a new callback object numbered <cb>
 *   marshal <n> <slot> <file>    CoMarshalInterface (normal, to another local process) into a file
 *   unmarshal <n> <slot> <file>  CoUnmarshalInterface from that file into a new handle
 *   relmarshal <n> <file>        CoReleaseMarshalData of what marshal wrote, when nobody unmarshalled it
 *   exit <n>                     CoUninitialize, answer, end the process
 *   abandon <n>                  answer, end the process without CoUninitialize
 * Unprompted lines:
 *   hello <hr>                   CoInitializeEx done, ready for commands
 *   cbcall <cb>                  the server called callback <cb>
 *   cbgone <cb>                  callback <cb>'s last reference went away
 */
#include "common.h"
#include <sddl.h>

#define MAX_SLOTS 4096
#define QUEUE_CAP 256

static LineOut g_out;

/* ---- callback objects ---------------------------------------------------------------- */

typedef struct {
  IDispatch IDispatch_iface;
  LONG ref;
  int num;
} Callback;

static Callback *cb_from(IDispatch *iface) { return CONTAINING_RECORD(iface, Callback, IDispatch_iface); }

static HRESULT WINAPI cb_QueryInterface(IDispatch *iface, REFIID riid, void **out)
{
  if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch)) {
    *out = iface;
    IDispatch_AddRef(iface);
    return S_OK;
  }
  *out = NULL;
  return E_NOINTERFACE;
}
static ULONG WINAPI cb_AddRef(IDispatch *iface) { return (ULONG)InterlockedIncrement(&cb_from(iface)->ref); }
static ULONG WINAPI cb_Release(IDispatch *iface)
{
  Callback *cb = cb_from(iface);
  LONG count = InterlockedDecrement(&cb->ref);
  if (!count) {
    lineout_printf(&g_out, "cbgone %d", cb->num);
    HeapFree(GetProcessHeap(), 0, cb);
  }
  return (ULONG)count;
}
static HRESULT WINAPI cb_GetTypeInfoCount(IDispatch *iface, UINT *count) { *count = 0; return S_OK; }
static HRESULT WINAPI cb_GetTypeInfo(IDispatch *iface, UINT i, LCID lcid, ITypeInfo **info)
{
  *info = NULL;
  return E_NOTIMPL;
}
static HRESULT WINAPI cb_GetIDsOfNames(IDispatch *iface, REFIID riid, LPOLESTR *names, UINT count, LCID lcid,
                                       DISPID *ids)
{
  return DISP_E_UNKNOWNNAME;
}
static HRESULT WINAPI cb_Invoke(IDispatch *iface, DISPID id, REFIID riid, LCID lcid, WORD flags, DISPPARAMS *params,
                                VARIANT *result, EXCEPINFO *excep, UINT *bad_arg)
{
  Callback *cb = cb_from(iface);
  if (id != DISPID_CALLBACK_NOTIFY) return DISP_E_MEMBERNOTFOUND;
  lineout_printf(&g_out, "cbcall %d", cb->num);
  if (result) VariantInit(result);
  return S_OK;
}
static IDispatchVtbl cb_vtbl = {
  cb_QueryInterface, cb_AddRef, cb_Release, cb_GetTypeInfoCount, cb_GetTypeInfo, cb_GetIDsOfNames, cb_Invoke,
};

/* ---- handles ------------------------------------------------------------------------- */

typedef struct {
  IUnknown *ptr;
  LONG refs; /* references this handle holds; the pointer is invalid at 0 */
} Slot;
static Slot g_slots[MAX_SLOTS];

static Slot *slot_get(long n)
{
  if (n < 0 || n >= MAX_SLOTS || !g_slots[n].ptr || g_slots[n].refs <= 0) return NULL;
  return &g_slots[n];
}

/* ---- command queue (reader thread -> main thread) --------------------------------------- */

static char g_queue[QUEUE_CAP][512];
static int g_qhead, g_qlen;
static CRITICAL_SECTION g_qlock;
static HANDLE g_qsem;

static void queue_push(const char *line)
{
  EnterCriticalSection(&g_qlock);
  if (g_qlen < QUEUE_CAP) {
    lstrcpynA(g_queue[(g_qhead + g_qlen) % QUEUE_CAP], line, 512);
    g_qlen++;
    ReleaseSemaphore(g_qsem, 1, NULL);
  }
  LeaveCriticalSection(&g_qlock);
}

static void queue_pop(char *line)
{
  WaitForSingleObject(g_qsem, INFINITE);
  EnterCriticalSection(&g_qlock);
  lstrcpynA(line, g_queue[g_qhead], 512);
  g_qhead = (g_qhead + 1) % QUEUE_CAP;
  g_qlen--;
  LeaveCriticalSection(&g_qlock);
}

static DWORD WINAPI reader_thread(void *param)
{
  LineIn *in = param;
  char line[512];
  long n;
  while (linein_read(in, line, sizeof line)) {
    if (sscanf(line, "sync %ld", &n) == 1) lineout_printf(&g_out, "sync %ld", n);
    else queue_push(line);
  }
  queue_push("eof");
  return 0;
}

/* ---- commands ------------------------------------------------------------------------ */

static HRESULT do_security(const char *args)
{
  unsigned long level, imp, caps;
  char sddl[400];
  PSECURITY_DESCRIPTOR sd = NULL;
  HRESULT hr;
  if (sscanf(args, "%lu %lu %lu %399s", &level, &imp, &caps, sddl) != 4) return E_INVALIDARG;
  if (strcmp(sddl, "-") && !ConvertStringSecurityDescriptorToSecurityDescriptorA(sddl, SDDL_REVISION_1, &sd, NULL)) {
    diag("client", "bad SDDL %s (%lu)", sddl, GetLastError());
    return E_INVALIDARG;
  }
  hr = CoInitializeSecurity(sd, -1, NULL, NULL, level, imp, NULL, caps, NULL);
  if (sd) LocalFree(sd);
  return hr;
}

static HRESULT do_activate(const char *args)
{
  long slot;
  int remote, with_si, with_ai;
  unsigned long svc, level, imp;
  char identity[128];
  WCHAR widentity[128], host[MAX_COMPUTERNAME_LENGTH + 1];
  DWORD hostlen = MAX_COMPUTERNAME_LENGTH + 1;
  COAUTHIDENTITY authid;
  COAUTHINFO ai;
  COSERVERINFO si;
  MULTI_QI mqi;
  HRESULT hr;
  if (sscanf(args, "%ld %d %d %d %lu %lu %lu %127s", &slot, &remote, &with_si, &with_ai, &svc, &level, &imp,
             identity) != 8 || slot < 0 || slot >= MAX_SLOTS)
    return E_INVALIDARG;
  MultiByteToWideChar(CP_UTF8, 0, identity, -1, widentity, 128);
  if (!GetComputerNameW(host, &hostlen)) lstrcpyW(host, L"localhost");

  memset(&authid, 0, sizeof authid);
  authid.User = (USHORT *)widentity;
  authid.UserLength = (ULONG)lstrlenW(widentity);
  authid.Password = (USHORT *)L"";
  authid.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
  memset(&ai, 0, sizeof ai);
  ai.dwAuthnSvc = svc;
  ai.dwAuthzSvc = RPC_C_AUTHZ_NONE;
  ai.dwAuthnLevel = level;
  ai.dwImpersonationLevel = imp;
  ai.pAuthIdentityData = &authid;
  ai.dwCapabilities = EOAC_NONE;
  /* COSERVERINFO names the server machine, which under Wine is this machine; COAUTHINFO can
   * only be passed inside a COSERVERINFO, so authInfo without serverInfo leaves the name out. */
  memset(&si, 0, sizeof si);
  si.pwszName = with_si ? host : NULL;
  si.pAuthInfo = with_ai ? &ai : NULL;
  mqi.pIID = &IID_IDispatch;
  mqi.pItf = NULL;
  mqi.hr = E_FAIL;
  hr = CoCreateInstanceEx(&CLSID_DcomkitTest, NULL, remote ? CLSCTX_REMOTE_SERVER : CLSCTX_LOCAL_SERVER,
                          (with_si || with_ai) ? &si : NULL, 1, &mqi);
  if (SUCCEEDED(hr) && FAILED(mqi.hr)) hr = mqi.hr;
  if (SUCCEEDED(hr) && mqi.pItf) {
    g_slots[slot].ptr = mqi.pItf;
    g_slots[slot].refs = 1;
  } else if (mqi.pItf) IUnknown_Release(mqi.pItf);
  return hr;
}

static HRESULT do_qi(const char *args)
{
  long slot, newslot;
  int which;
  const IID *iid;
  Slot *s;
  void *out = NULL;
  HRESULT hr;
  if (sscanf(args, "%ld %ld %d", &slot, &newslot, &which) != 3 || newslot < 0 || newslot >= MAX_SLOTS)
    return E_INVALIDARG;
  if (!(s = slot_get(slot))) return E_POINTER;
  iid = which == 0 ? &IID_IDispatch : which == 1 ? &IID_IUnknown : &IID_DcomkitMissing;
  hr = IUnknown_QueryInterface(s->ptr, iid, &out);
  if (SUCCEEDED(hr) && out) {
    g_slots[newslot].ptr = out;
    g_slots[newslot].refs = 1;
  }
  return hr;
}

static HRESULT invoke(IUnknown *unk, DISPID id, VARIANT *args, UINT nargs)
{
  IDispatch *disp = NULL;
  DISPPARAMS params;
  VARIANT result;
  EXCEPINFO excep;
  UINT bad_arg = 0;
  HRESULT hr = IUnknown_QueryInterface(unk, &IID_IDispatch, (void **)&disp);
  if (FAILED(hr)) return hr;
  params.rgvarg = args;
  params.rgdispidNamedArgs = NULL;
  params.cArgs = nargs;
  params.cNamedArgs = 0;
  VariantInit(&result);
  memset(&excep, 0, sizeof excep);
  hr = IDispatch_Invoke(disp, id, &IID_NULL, 0, DISPATCH_METHOD, &params, &result, &excep, &bad_arg);
  VariantClear(&result);
  IDispatch_Release(disp);
  return hr;
}

static HRESULT do_advise(const char *args)
{
  long slot, num;
  Slot *s;
  Callback *cb;
  VARIANT argv[2];
  HRESULT hr;
  if (sscanf(args, "%ld %ld", &slot, &num) != 2) return E_INVALIDARG;
  if (!(s = slot_get(slot))) return E_POINTER;
  cb = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *cb);
  if (!cb) return E_OUTOFMEMORY;
  cb->IDispatch_iface.lpVtbl = &cb_vtbl;
  cb->ref = 1;
  cb->num = (int)num;
  /* last argument first */
  VariantInit(&argv[0]);
  VariantInit(&argv[1]);
  V_VT(&argv[0]) = VT_DISPATCH;
  V_DISPATCH(&argv[0]) = &cb->IDispatch_iface;
  V_VT(&argv[1]) = VT_I4;
  V_I4(&argv[1]) = num;
  hr = invoke(s->ptr, DISPID_TEST_ADVISE, argv, 2);
  IDispatch_Release(&cb->IDispatch_iface); /* the server keeps its own reference, if any */
  return hr;
}

static HRESULT do_blanket(const char *args)
{
  long slot;
  int target;
  unsigned long svc, level, imp, caps;
  Slot *s;
  IUnknown *unk = NULL;
  HRESULT hr;
  if (sscanf(args, "%ld %d %lu %lu %lu %lu", &slot, &target, &svc, &level, &imp, &caps) != 6) return E_INVALIDARG;
  if (!(s = slot_get(slot))) return E_POINTER;
  if (target) {
    hr = IUnknown_QueryInterface(s->ptr, &IID_IUnknown, (void **)&unk);
    if (FAILED(hr)) return hr;
  }
  hr = CoSetProxyBlanket(target ? unk : s->ptr, svc, RPC_C_AUTHZ_NONE, NULL, level, imp, NULL, caps);
  if (unk) IUnknown_Release(unk);
  return hr;
}

/* ---- handing a pointer to another process ------------------------------------------------ */

/* The OBJREF goes through a file in the one Wine prefix both processes run in: the driver's
 * pipes carry short lines only. */
static HRESULT stream_to_file(IStream *st, const char *path)
{
  HGLOBAL hg = NULL;
  ULARGE_INTEGER end;
  LARGE_INTEGER zero;
  HANDLE f;
  DWORD put = 0;
  void *bytes;
  BOOL ok;
  HRESULT hr;
  zero.QuadPart = 0;
  if (FAILED(hr = IStream_Seek(st, zero, STREAM_SEEK_CUR, &end))) return hr;
  if (FAILED(hr = GetHGlobalFromStream(st, &hg))) return hr;
  f = CreateFileA(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
  if (f == INVALID_HANDLE_VALUE) return HRESULT_FROM_WIN32(GetLastError());
  bytes = GlobalLock(hg);
  ok = bytes && WriteFile(f, bytes, (DWORD)end.QuadPart, &put, NULL) && put == (DWORD)end.QuadPart;
  GlobalUnlock(hg);
  CloseHandle(f);
  return ok ? S_OK : E_FAIL;
}

static HRESULT stream_from_file(const char *path, IStream **st)
{
  HANDLE f = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
  DWORD size, got = 0;
  HGLOBAL hg;
  void *bytes;
  BOOL ok;
  HRESULT hr;
  if (f == INVALID_HANDLE_VALUE) return HRESULT_FROM_WIN32(GetLastError());
  size = GetFileSize(f, NULL);
  hg = GlobalAlloc(GMEM_MOVEABLE, size ? size : 1);
  if (!hg) {
    CloseHandle(f);
    return E_OUTOFMEMORY;
  }
  bytes = GlobalLock(hg);
  ok = bytes && ReadFile(f, bytes, size, &got, NULL) && got == size;
  GlobalUnlock(hg);
  CloseHandle(f);
  if (!ok) {
    GlobalFree(hg);
    return E_FAIL;
  }
  hr = CreateStreamOnHGlobal(hg, TRUE, st);
  if (FAILED(hr)) GlobalFree(hg);
  return hr;
}

static HRESULT do_marshal(const char *args)
{
  long slot;
  char path[MAX_PATH];
  Slot *s;
  IStream *st = NULL;
  HRESULT hr;
  if (sscanf(args, "%ld %259s", &slot, path) != 2) return E_INVALIDARG;
  if (!(s = slot_get(slot))) return E_POINTER;
  if (FAILED(hr = CreateStreamOnHGlobal(NULL, TRUE, &st))) return hr;
  hr = CoMarshalInterface(st, &IID_IDispatch, s->ptr, MSHCTX_LOCAL, NULL, MSHLFLAGS_NORMAL);
  if (SUCCEEDED(hr)) {
    hr = stream_to_file(st, path);
    if (FAILED(hr)) {
      LARGE_INTEGER zero;
      zero.QuadPart = 0;
      IStream_Seek(st, zero, STREAM_SEEK_SET, NULL);
      CoReleaseMarshalData(st);
    }
  }
  IStream_Release(st);
  return hr;
}

static HRESULT do_unmarshal(const char *args)
{
  long slot;
  char path[MAX_PATH];
  IStream *st = NULL;
  void *out = NULL;
  HRESULT hr;
  if (sscanf(args, "%ld %259s", &slot, path) != 2 || slot < 0 || slot >= MAX_SLOTS) return E_INVALIDARG;
  if (FAILED(hr = stream_from_file(path, &st))) return hr;
  hr = CoUnmarshalInterface(st, &IID_IDispatch, &out);
  IStream_Release(st);
  if (SUCCEEDED(hr) && out) {
    g_slots[slot].ptr = out;
    g_slots[slot].refs = 1;
  }
  return hr;
}

static HRESULT do_release_marshal(const char *args)
{
  char path[MAX_PATH];
  IStream *st = NULL;
  HRESULT hr;
  if (sscanf(args, "%259s", path) != 1) return E_INVALIDARG;
  if (FAILED(hr = stream_from_file(path, &st))) return hr;
  hr = CoReleaseMarshalData(st);
  IStream_Release(st);
  return hr;
}

int main(int argc, char **argv)
{
  LineIn in;
  char line[512], verb[16];
  long n;
  int used;
  HRESULT hr;
  HANDLE thread;

  lineout_init(&g_out, GetStdHandle(STD_OUTPUT_HANDLE));
  linein_init(&in, GetStdHandle(STD_INPUT_HANDLE));
  InitializeCriticalSection(&g_qlock);
  g_qsem = CreateSemaphoreA(NULL, 0, QUEUE_CAP, NULL);

  hr = CoInitializeEx(NULL, COINIT_MULTITHREADED);
  lineout_printf(&g_out, "hello 0x%08lx", (unsigned long)hr);
  thread = CreateThread(NULL, 0, reader_thread, &in, 0, NULL);
  if (!thread) return 2;

  for (;;) {
    queue_pop(line);
    if (!strcmp(line, "eof")) break; /* the driver is gone */
    used = 0;
    if (sscanf(line, "%15s %ld %n", verb, &n, &used) < 2) continue;
    const char *args = line + used;
    unsigned long value = 0;
    if (!strcmp(verb, "sec")) hr = do_security(args);
    else if (!strcmp(verb, "act")) hr = do_activate(args);
    else if (!strcmp(verb, "qi")) hr = do_qi(args);
    else if (!strcmp(verb, "addref") || !strcmp(verb, "release")) {
      long slot = -1;
      Slot *s;
      sscanf(args, "%ld", &slot);
      if (!(s = slot_get(slot))) hr = E_POINTER;
      else if (verb[0] == 'a') {
        value = IUnknown_AddRef(s->ptr);
        s->refs++;
        hr = S_OK;
      } else {
        value = IUnknown_Release(s->ptr);
        if (--s->refs == 0) s->ptr = NULL;
        hr = S_OK;
      }
    } else if (!strcmp(verb, "call")) {
      long slot = -1;
      Slot *s;
      sscanf(args, "%ld", &slot);
      hr = (s = slot_get(slot)) ? invoke(s->ptr, DISPID_TEST_METHOD, NULL, 0) : E_POINTER;
    } else if (!strcmp(verb, "blanket")) hr = do_blanket(args);
    else if (!strcmp(verb, "advise")) hr = do_advise(args);
    else if (!strcmp(verb, "marshal")) hr = do_marshal(args);
    else if (!strcmp(verb, "unmarshal")) hr = do_unmarshal(args);
    else if (!strcmp(verb, "relmarshal")) hr = do_release_marshal(args);
    else if (!strcmp(verb, "exit")) {
      CoUninitialize();
      lineout_printf(&g_out, "done %ld 0x00000000", n);
      ExitProcess(0);
    } else if (!strcmp(verb, "abandon")) {
      lineout_printf(&g_out, "done %ld 0x00000000", n);
      ExitProcess(0);
    } else hr = E_INVALIDARG;
    lineout_printf(&g_out, "done %ld 0x%08lx %lu", n, (unsigned long)hr, value);
  }
  CoUninitialize();
  return 0;
}
