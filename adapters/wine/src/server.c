/*
 * server.exe: the COM local server under test. It registers the test class (multiple use)
 * and serves ITest objects from its multithreaded apartment.
 *
 *   server.exe /regserver          writes the class's LocalServer32 key and exits
 *   server.exe -dcomkit SDDL|-     driver-controlled run: stdin carries the driver's
 *                                  commands, stdout reports what happens to the objects
 *
 * Lines to the driver (stdout):
 *   ready <security hr>            class object registered
 *   created <obj>                  a new object (number <obj>)
 *   ref <obj> <count>              AddRef on an object, with the new count
 *   unref <obj> <count>            Release on an object, with the new count
 *   destroyed <obj>                the object is gone
 *   advise <obj> <cb> <hr>         Advise kept callback <cb> and invoked it once with result <hr>
 *   sync <n>                       answer to "sync <n>"
 *   done <n> <hr>                  a command finished
 *   bye                            answer to "quit", just before the process ends
 * Commands from the driver (stdin):
 *   sync <n>                       answered at once, in order with every line before it
 *   invoke <n> <cb>                invoke held callback <cb> (on a worker thread)
 *   release <n> <cb>               release held callback <cb> (on a worker thread)
 *   disconnect <n> <obj>           CoDisconnectObject on object <obj> (on a worker thread)
 *   quit                           revoke the class object and end the process at once
 * Started any other way (for instance by COM with -Embedding because the driver's server
 * is gone) it exits at once: the driver's server is the only one a run may talk to.
 */
#include "common.h"
#include <sddl.h>

#define MAX_OBJECTS 8192
#define MAX_CALLBACKS 8192

static LineOut g_out;
static CRITICAL_SECTION g_lock;

typedef struct {
  IDispatch IDispatch_iface;
  LONG ref;
  int num;
} TestObject;

static TestObject *g_objects[MAX_OBJECTS]; /* by number, while alive */
static IDispatch *g_callbacks[MAX_CALLBACKS]; /* held callbacks, by the driver's number */
static LONG g_next_object;

static TestObject *impl_from_dispatch(IDispatch *iface)
{
  return CONTAINING_RECORD(iface, TestObject, IDispatch_iface);
}

static HRESULT WINAPI test_QueryInterface(IDispatch *iface, REFIID riid, void **out)
{
  if (!out) return E_POINTER;
  if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch)) {
    *out = iface;
    IDispatch_AddRef(iface);
    return S_OK;
  }
  *out = NULL;
  return E_NOINTERFACE;
}

static ULONG WINAPI test_AddRef(IDispatch *iface)
{
  TestObject *obj = impl_from_dispatch(iface);
  LONG count = InterlockedIncrement(&obj->ref);
  lineout_printf(&g_out, "ref %d %ld", obj->num, count);
  return (ULONG)count;
}

static ULONG WINAPI test_Release(IDispatch *iface)
{
  TestObject *obj = impl_from_dispatch(iface);
  LONG count = InterlockedDecrement(&obj->ref);
  lineout_printf(&g_out, "unref %d %ld", obj->num, count);
  if (!count) {
    EnterCriticalSection(&g_lock);
    if (obj->num < MAX_OBJECTS) g_objects[obj->num] = NULL;
    LeaveCriticalSection(&g_lock);
    lineout_printf(&g_out, "destroyed %d", obj->num);
    HeapFree(GetProcessHeap(), 0, obj);
  }
  return (ULONG)count;
}

static HRESULT WINAPI test_GetTypeInfoCount(IDispatch *iface, UINT *count)
{
  *count = 0;
  return S_OK;
}

static HRESULT WINAPI test_GetTypeInfo(IDispatch *iface, UINT index, LCID lcid, ITypeInfo **info)
{
  *info = NULL;
  return E_NOTIMPL;
}

static HRESULT WINAPI test_GetIDsOfNames(IDispatch *iface, REFIID riid, LPOLESTR *names, UINT count, LCID lcid,
                                         DISPID *ids)
{
  UINT i;
  HRESULT hr = S_OK;
  for (i = 0; i < count; i++) {
    if (!lstrcmpiW(names[i], L"Method")) ids[i] = DISPID_TEST_METHOD;
    else if (!lstrcmpiW(names[i], L"Advise")) ids[i] = DISPID_TEST_ADVISE;
    else { ids[i] = DISPID_UNKNOWN; hr = DISP_E_UNKNOWNNAME; }
  }
  return hr;
}

/* Calls the callback's Notify(number). */
static HRESULT notify_callback(IDispatch *callback, int number)
{
  VARIANT arg, result;
  DISPPARAMS params;
  EXCEPINFO excep;
  UINT bad_arg = 0;
  HRESULT hr;
  VariantInit(&arg);
  VariantInit(&result);
  V_VT(&arg) = VT_I4;
  V_I4(&arg) = number;
  params.rgvarg = &arg;
  params.rgdispidNamedArgs = NULL;
  params.cArgs = 1;
  params.cNamedArgs = 0;
  memset(&excep, 0, sizeof excep);
  hr = IDispatch_Invoke(callback, DISPID_CALLBACK_NOTIFY, &IID_NULL, 0, DISPATCH_METHOD, &params, &result, &excep,
                        &bad_arg);
  VariantClear(&result);
  return hr;
}

static LONG variant_i4(VARIANT *v, BOOL *ok)
{
  VARIANT tmp;
  VariantInit(&tmp);
  *ok = SUCCEEDED(VariantChangeType(&tmp, v, 0, VT_I4));
  return *ok ? V_I4(&tmp) : 0;
}

static HRESULT advise(TestObject *obj, DISPPARAMS *params)
{
  /* Arguments arrive last-first: rgvarg[1] is the callback number, rgvarg[0] the callback. */
  VARIANT *cbarg;
  IDispatch *callback = NULL, *previous;
  BOOL ok;
  LONG number;
  HRESULT hr;
  if (params->cArgs != 2) return DISP_E_BADPARAMCOUNT;
  number = variant_i4(&params->rgvarg[1], &ok);
  if (!ok || number < 0 || number >= MAX_CALLBACKS) return DISP_E_TYPEMISMATCH;
  cbarg = &params->rgvarg[0];
  if (V_VT(cbarg) == VT_DISPATCH) callback = V_DISPATCH(cbarg);
  else if (V_VT(cbarg) == (VT_DISPATCH | VT_BYREF) && V_DISPATCHREF(cbarg)) callback = *V_DISPATCHREF(cbarg);
  if (!callback) return DISP_E_TYPEMISMATCH;

  IDispatch_AddRef(callback);
  hr = notify_callback(callback, number);
  lineout_printf(&g_out, "advise %d %ld 0x%08lx", obj->num, number, (unsigned long)hr);
  if (FAILED(hr)) {
    IDispatch_Release(callback);
    return hr;
  }
  EnterCriticalSection(&g_lock);
  previous = g_callbacks[number];
  g_callbacks[number] = callback;
  LeaveCriticalSection(&g_lock);
  if (previous) IDispatch_Release(previous);
  return S_OK;
}

static HRESULT WINAPI test_Invoke(IDispatch *iface, DISPID id, REFIID riid, LCID lcid, WORD flags, DISPPARAMS *params,
                                  VARIANT *result, EXCEPINFO *excep, UINT *bad_arg)
{
  TestObject *obj = impl_from_dispatch(iface);
  if (result) VariantInit(result);
  switch (id) {
  case DISPID_TEST_METHOD:
    if (result) { V_VT(result) = VT_I4; V_I4(result) = obj->num; }
    return S_OK;
  case DISPID_TEST_ADVISE:
    return advise(obj, params);
  }
  return DISP_E_MEMBERNOTFOUND;
}

static IDispatchVtbl test_vtbl = {
  test_QueryInterface, test_AddRef, test_Release, test_GetTypeInfoCount, test_GetTypeInfo, test_GetIDsOfNames,
  test_Invoke,
};

/* ---- class factory ------------------------------------------------------------------- */

static HRESULT WINAPI factory_QueryInterface(IClassFactory *iface, REFIID riid, void **out)
{
  if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IClassFactory)) {
    *out = iface;
    return S_OK;
  }
  *out = NULL;
  return E_NOINTERFACE;
}
static ULONG WINAPI factory_AddRef(IClassFactory *iface) { return 2; }
static ULONG WINAPI factory_Release(IClassFactory *iface) { return 1; }

static HRESULT WINAPI factory_CreateInstance(IClassFactory *iface, IUnknown *outer, REFIID riid, void **out)
{
  TestObject *obj;
  HRESULT hr;
  *out = NULL;
  if (outer) return CLASS_E_NOAGGREGATION;
  obj = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *obj);
  if (!obj) return E_OUTOFMEMORY;
  obj->IDispatch_iface.lpVtbl = &test_vtbl;
  obj->ref = 1;
  obj->num = (int)InterlockedIncrement(&g_next_object);
  EnterCriticalSection(&g_lock);
  if (obj->num < MAX_OBJECTS) g_objects[obj->num] = obj;
  LeaveCriticalSection(&g_lock);
  lineout_printf(&g_out, "created %d", obj->num);
  hr = test_QueryInterface(&obj->IDispatch_iface, riid, out);
  test_Release(&obj->IDispatch_iface);
  return hr;
}

static HRESULT WINAPI factory_LockServer(IClassFactory *iface, BOOL lock) { return S_OK; }

static IClassFactoryVtbl factory_vtbl = {
  factory_QueryInterface, factory_AddRef, factory_Release, factory_CreateInstance, factory_LockServer,
};
static IClassFactory g_factory = {&factory_vtbl};

/* ---- driver commands ----------------------------------------------------------------- */

typedef struct {
  char verb[16];
  long n;
  long arg;
} Command;

static DWORD WINAPI command_thread(void *param)
{
  Command *cmd = param;
  HRESULT hr = S_OK;
  CoInitializeEx(NULL, COINIT_MULTITHREADED);
  if (!strcmp(cmd->verb, "invoke") || !strcmp(cmd->verb, "release")) {
    IDispatch *callback = NULL;
    BOOL take = !strcmp(cmd->verb, "release");
    EnterCriticalSection(&g_lock);
    if (cmd->arg >= 0 && cmd->arg < MAX_CALLBACKS) {
      callback = g_callbacks[cmd->arg];
      if (take) g_callbacks[cmd->arg] = NULL;
      else if (callback) IDispatch_AddRef(callback);
    }
    LeaveCriticalSection(&g_lock);
    if (!callback) hr = E_POINTER; /* the server holds no such callback */
    else {
      if (!take) hr = notify_callback(callback, (int)cmd->arg);
      IDispatch_Release(callback);
    }
  } else if (!strcmp(cmd->verb, "disconnect")) {
    TestObject *obj = NULL;
    EnterCriticalSection(&g_lock);
    if (cmd->arg > 0 && cmd->arg < MAX_OBJECTS && (obj = g_objects[cmd->arg])) InterlockedIncrement(&obj->ref);
    LeaveCriticalSection(&g_lock);
    if (!obj) hr = E_POINTER;
    else {
      hr = CoDisconnectObject((IUnknown *)&obj->IDispatch_iface, 0);
      test_Release(&obj->IDispatch_iface);
    }
  } else hr = E_INVALIDARG;
  lineout_printf(&g_out, "done %ld 0x%08lx", cmd->n, (unsigned long)hr);
  CoUninitialize();
  HeapFree(GetProcessHeap(), 0, cmd);
  return 0;
}

static int register_server(void)
{
  WCHAR path[MAX_PATH + 2], value[MAX_PATH + 16];
  HKEY key;
  LONG err;
  DWORD n = GetModuleFileNameW(NULL, path, MAX_PATH);
  if (!n || n >= MAX_PATH) return 2;
  swprintf(value, sizeof value / sizeof *value, L"\"%ls\"", path);
  err = RegCreateKeyExW(HKEY_CLASSES_ROOT, L"CLSID\\" CLSID_DCOMKIT_TEST_STR L"\\LocalServer32", 0, NULL, 0,
                        KEY_WRITE, NULL, &key, NULL);
  if (err) return 3;
  err = RegSetValueExW(key, NULL, 0, REG_SZ, (const BYTE *)value, (DWORD)((wcslen(value) + 1) * sizeof(WCHAR)));
  RegCloseKey(key);
  if (err) return 4;
  err = RegCreateKeyExW(HKEY_CLASSES_ROOT, L"CLSID\\" CLSID_DCOMKIT_TEST_STR, 0, NULL, 0, KEY_WRITE, NULL, &key, NULL);
  if (err) return 5;
  RegSetValueExW(key, NULL, 0, REG_SZ, (const BYTE *)L"dcomkit test object", sizeof L"dcomkit test object");
  RegCloseKey(key);
  printf("registered %ls\n", value);
  return 0;
}

int main(int argc, char **argv)
{
  LineIn in;
  char line[512];
  DWORD cookie = 0;
  HRESULT hr, sec = S_FALSE;
  PSECURITY_DESCRIPTOR sd = NULL;

  if (argc > 1 && (!_stricmp(argv[1], "/regserver") || !_stricmp(argv[1], "-regserver"))) return register_server();
  if (argc < 3 || strcmp(argv[1], "-dcomkit")) {
    diag("server", "started as \"%s\", not by the driver: exiting", GetCommandLineA());
    return 3;
  }

  InitializeCriticalSection(&g_lock);
  lineout_init(&g_out, GetStdHandle(STD_OUTPUT_HANDLE));
  linein_init(&in, GetStdHandle(STD_INPUT_HANDLE));

  hr = CoInitializeEx(NULL, COINIT_MULTITHREADED);
  if (FAILED(hr)) {
    diag("server", "CoInitializeEx failed 0x%08lx", (unsigned long)hr);
    return 4;
  }
  if (strcmp(argv[2], "-")) {
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorA(argv[2], SDDL_REVISION_1, &sd, NULL))
      diag("server", "bad SDDL %s (%lu)", argv[2], GetLastError());
    else
      sec = CoInitializeSecurity(sd, -1, NULL, NULL, RPC_C_AUTHN_LEVEL_DEFAULT, RPC_C_IMP_LEVEL_IDENTIFY, NULL,
                                 EOAC_NONE, NULL);
  }
  hr = CoRegisterClassObject(&CLSID_DcomkitTest, (IUnknown *)&g_factory, CLSCTX_LOCAL_SERVER, REGCLS_MULTIPLEUSE,
                             &cookie);
  if (FAILED(hr)) {
    diag("server", "CoRegisterClassObject failed 0x%08lx", (unsigned long)hr);
    lineout_printf(&g_out, "failed 0x%08lx", (unsigned long)hr);
    return 5;
  }
  lineout_printf(&g_out, "ready 0x%08lx", (unsigned long)sec);

  while (linein_read(&in, line, sizeof line)) {
    Command *cmd = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *cmd);
    if (!cmd) break;
    if (sscanf(line, "%15s %ld %ld", cmd->verb, &cmd->n, &cmd->arg) < 1) {
      HeapFree(GetProcessHeap(), 0, cmd);
      continue;
    }
    if (!strcmp(cmd->verb, "sync")) {
      lineout_printf(&g_out, "sync %ld", cmd->n);
      HeapFree(GetProcessHeap(), 0, cmd);
    } else if (!strcmp(cmd->verb, "quit")) {
      HeapFree(GetProcessHeap(), 0, cmd);
      break;
    } else {
      HANDLE thread = CreateThread(NULL, 0, command_thread, cmd, 0, NULL);
      if (thread) CloseHandle(thread);
      else {
        lineout_printf(&g_out, "done %ld 0x%08lx", cmd->n, (unsigned long)E_OUTOFMEMORY);
        HeapFree(GetProcessHeap(), 0, cmd);
      }
    }
  }
  /* The run is over: leave the class registry clean for the next server, then end without
   * releasing what clients still hold (they may be dead, and nobody is watching). */
  CoRevokeClassObject(cookie);
  lineout_printf(&g_out, "bye");
  ExitProcess(0);
  return 0;
}
