/*
 * driver.exe: the Wine adapter's process. It speaks the kit's JSON Lines protocol on
 * stdin/stdout (spec/protocol.ts) and carries the actions out with real Wine processes:
 *
 *   - one server.exe per run (started at reset, told to quit at the next reset or close),
 *     reporting object creation, AddRef/Release, destruction and callback use on its stdout;
 *   - one client.exe per `start` action, driven line by line over pipes, reporting the
 *     server's calls into its callbacks and their destruction;
 *   - waiter threads that see client processes end.
 *
 * Every line from a child is stamped on arrival with this process's clock. The whole Wine
 * session runs under faketime, so that clock already is the run's virtual time: event `at`
 * is (clock - clock at reset), `advance(ms)` sleeps ms on it, and calls time out after
 * CALL_TIMEOUT_MS on it. DCOMKIT_WINE_SCALE only tells the kit how fast that clock runs.
 *
 * Nothing but protocol lines is written to stdout, one WriteFile per line. Diagnostics go to
 * stderr, which the launcher points at a log file.
 */
#include "common.h"
#include "json.h"
#include <sddl.h>

#define MAX_CLIENTS 256
#define MAX_HANDLES 4096
#define MAX_CALLBACKS 4096
#define QUEUE_CAP 8192
#define RESULT_SLOTS 4096

#define CALL_TIMEOUT_MS 120000.0   /* spec/constants.ts CALL_TIMEOUT_MS */
#define EXIT_WAIT_MS 30000.0       /* how long exit/abandon/crash wait to see the process gone */
#define BARRIER_MS 10000.0         /* how long a sync with a child may take */
/* faketime speeds the clock up, not the CPU: at x60 the 120 s call timeout is 2 real seconds,
 * which a loaded machine can spend on an ordinary activation. So no wait gives up before this
 * much real time has passed too; a call still counts as hung from start + CALL_TIMEOUT_MS. */
#define REAL_FLOOR_MS 10000.0

static double g_scale = 60.0;
static double g_infra_ms;          /* generous timeout for starting processes: 60 real seconds */
static LineOut g_kit;
static DWORD g_pid;
static char g_wine_version[64] = "unknown";
static WCHAR g_client_exe[MAX_PATH], g_server_exe[MAX_PATH];
static char g_user_sid[128] = "";
static HANDLE g_log = INVALID_HANDLE_VALUE; /* inheritable stderr for the children */

/* ---- message queue --------------------------------------------------------------------- */

enum { SRC_SERVER = -1, SRC_EXIT = -2 };

typedef struct {
  int src;        /* SRC_SERVER, a client index, or SRC_EXIT (arg = client index) */
  int gen;        /* reset generation the sender belongs to */
  double at;      /* arrival, on our clock */
  char text[256]; /* the line; "<eof>" when the pipe closed */
} Msg;

static Msg g_queue[QUEUE_CAP];
static int g_qhead, g_qlen;
static CRITICAL_SECTION g_qlock;
static HANDLE g_qevent;
static int g_gen;

static void queue_push(int src, int gen, const char *text)
{
  EnterCriticalSection(&g_qlock);
  if (g_qlen < QUEUE_CAP) {
    Msg *m = &g_queue[(g_qhead + g_qlen) % QUEUE_CAP];
    m->src = src;
    m->gen = gen;
    m->at = clock_ms();
    lstrcpynA(m->text, text, sizeof m->text);
    g_qlen++;
  } else diag("driver", "message queue full, dropped: %s", text);
  SetEvent(g_qevent);
  LeaveCriticalSection(&g_qlock);
}

static BOOL queue_pop(Msg *out)
{
  BOOL got = FALSE;
  EnterCriticalSection(&g_qlock);
  if (g_qlen) {
    *out = g_queue[g_qhead];
    g_qhead = (g_qhead + 1) % QUEUE_CAP;
    g_qlen--;
    got = TRUE;
  }
  LeaveCriticalSection(&g_qlock);
  return got;
}

typedef struct {
  HANDLE h;
  int src, gen;
} ReaderArgs;

static DWORD WINAPI reader_thread(void *param)
{
  ReaderArgs a = *(ReaderArgs *)param;
  LineIn *in = HeapAlloc(GetProcessHeap(), 0, sizeof *in);
  char line[512];
  HeapFree(GetProcessHeap(), 0, param);
  if (!in) return 1;
  linein_init(in, a.h);
  while (linein_read(in, line, sizeof line)) queue_push(a.src, a.gen, line);
  queue_push(a.src, a.gen, "<eof>");
  CloseHandle(a.h);
  HeapFree(GetProcessHeap(), 0, in);
  return 0;
}

typedef struct {
  HANDLE process;
  int index, gen;
} WaiterArgs;

static DWORD WINAPI waiter_thread(void *param)
{
  WaiterArgs a = *(WaiterArgs *)param;
  char text[32];
  HeapFree(GetProcessHeap(), 0, param);
  WaitForSingleObject(a.process, INFINITE);
  snprintf(text, sizeof text, "%d", a.index);
  queue_push(SRC_EXIT, a.gen, text);
  CloseHandle(a.process);
  return 0;
}

static void start_reader(HANDLE h, int src)
{
  ReaderArgs *a = HeapAlloc(GetProcessHeap(), 0, sizeof *a);
  HANDLE t;
  a->h = h;
  a->src = src;
  a->gen = g_gen;
  t = CreateThread(NULL, 0, reader_thread, a, 0, NULL);
  if (t) CloseHandle(t);
}

/* ---- world state ------------------------------------------------------------------------- */

enum { M_CLIENT1, M_CLIENT2, M_SERVER, M_COUNT };
static const char *const MACHINE_NAMES[M_COUNT] = {"client1", "client2", "server"};
enum { P_SYSTEM = 1, P_INTERACTIVE = 2, P_EVERYONE = 4, P_ADMINS = 8 };

typedef struct {
  int kind; /* 0 absent, 1 empty, 2 list */
  int allow, deny;
} Access;
static Access g_access[M_COUNT];

typedef struct {
  char name[96];
  int machine;
  HANDLE process, in;
  char token[64];
  BOOL ready, pipe_open, exited;
  BOOL ended;          /* exit/abandon/crash was applied */
  long last_sync;
  int next_slot;
} Client;
static Client g_clients[MAX_CLIENTS];
static int g_nclients;

typedef struct {
  char name[96];
  int client, slot;
  int obj; /* server object number, 0 when unknown */
} Handle;
static Handle g_handles[MAX_HANDLES];
static int g_nhandles;

typedef struct {
  char name[96];
  int client;
  BOOL alive; /* the client-side object exists */
} Callback;
static Callback g_callbacks[MAX_CALLBACKS];
static int g_ncallbacks;

static struct {
  HANDLE process, in;
  BOOL ready, gone;
  long last_sync;
  unsigned long security_hr;
} g_server;

typedef struct {
  long n;
  BOOL got;
  unsigned long hr, value;
  double at;
} Result;
static Result g_results[RESULT_SLOTS];
static long g_next_request = 1;
static int g_crashes;

/* What the current request is doing, to name reclaim causes. */
static const char *g_current_kind = "";
static int g_current_client = -1;
static int g_created_obj; /* last object the server created during the current request */

static double g_t0;
static BOOL g_verbose_notes;

/* Events of the current answer; sorted by time before they are sent (lines from different
 * pipes are handled in arrival order, which the stamps already follow, but a completion is
 * only known once its answer has been waited for). */
typedef struct {
  double at;
  int seq;
  char *json;
} Event;
static Event *g_evlist;
static int g_nevents, g_evcap, g_evseq;
static Buf g_cur;

static double vnow(void) { return clock_ms() - g_t0; }

/* What an action did, said as a note when it produced no event, so the kit's time line
 * keeps up with the real one (every step costs real, hence virtual, time). */
static char g_summary[256];

static void event_begin(const char *kind, double at)
{
  if (at < 0) at = 0;
  buf_clear(&g_cur);
  buf_printf(&g_cur, "{\"kind\":\"%s\",\"at\":%.0f", kind, at);
  if (g_nevents == g_evcap) {
    g_evcap = g_evcap ? g_evcap * 2 : 64;
    g_evlist = realloc(g_evlist, sizeof *g_evlist * (size_t)g_evcap);
    if (!g_evlist) abort();
  }
  g_evlist[g_nevents].at = at;
  g_evlist[g_nevents].seq = g_evseq++;
  g_evlist[g_nevents].json = NULL;
}
static void event_end(void)
{
  buf_add(&g_cur, "}", 1);
  g_evlist[g_nevents].json = _strdup(g_cur.s);
  g_nevents++;
}

static int event_cmp(const void *a, const void *b)
{
  const Event *x = a, *y = b;
  if (x->at != y->at) return x->at < y->at ? -1 : 1;
  return x->seq - y->seq;
}

static void events_clear(void)
{
  int i;
  for (i = 0; i < g_nevents; i++) free(g_evlist[i].json);
  g_nevents = 0;
}

static void note(double at, const char *fmt, ...)
{
  char text[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  event_begin("note", at);
  buf_add(&g_cur, ",\"text\":", 8);
  buf_jstr(&g_cur, text);
  event_end();
}

static void emit_reclaimed(double at, const char *machine, const char *oid, const char *cause)
{
  event_begin("reclaimed", at);
  buf_add(&g_cur, ",\"machine\":", 11);
  buf_jstr(&g_cur, machine);
  buf_add(&g_cur, ",\"oid\":", 7);
  buf_jstr(&g_cur, oid);
  buf_add(&g_cur, ",\"cause\":", 9);
  buf_jstr(&g_cur, cause);
  event_end();
}

/* Object ids in the trace: "server:<n>" for the server's objects, "cb:<callback>" for the
 * callback objects clients export. */
static void server_oid(int obj, char *out, size_t cap) { snprintf(out, cap, "server:%d", obj); }
static void callback_oid(int cb, char *out, size_t cap);

/* ---- handling what the children say --------------------------------------------------------- */

static Result *result_slot(long n) { return &g_results[n % RESULT_SLOTS]; }

static void record_done(const char *text, double at)
{
  long n;
  unsigned long hr = 0, value = 0;
  Result *r;
  if (sscanf(text, "done %ld %lx %lu", &n, &hr, &value) < 2) return;
  r = result_slot(n);
  if (r->n != n) return;
  r->got = TRUE;
  r->hr = hr;
  r->value = value;
  r->at = at;
}

static const char *server_reclaim_cause(void)
{
  if (!strcmp(g_current_kind, "disconnect")) return "disconnect";
  if (!strcmp(g_current_kind, "release") || !strcmp(g_current_kind, "exit") || !strcmp(g_current_kind, "abandon"))
    return "release";
  return "rundown";
}

static void callback_reclaimed(int i, double at, const char *cause)
{
  if (!g_callbacks[i].alive) return;
  g_callbacks[i].alive = FALSE;
  char oid[128];
  callback_oid(i, oid, sizeof oid);
  emit_reclaimed(at, MACHINE_NAMES[g_clients[g_callbacks[i].client].machine], oid, cause);
}

static void callback_oid(int cb, char *out, size_t cap) { snprintf(out, cap, "cb:%s", g_callbacks[cb].name); }

static void process_msg(const Msg *m)
{
  const double at = m->at - g_t0;
  int a = 0;
  long b = 0, c = 0;
  char oid[64];
  if (m->gen != g_gen) return; /* from a previous run */

  if (m->src == SRC_EXIT) {
    Client *cl;
    int i = atoi(m->text);
    if (i < 0 || i >= g_nclients) return;
    cl = &g_clients[i];
    cl->exited = TRUE;
    event_begin("processExit", at);
    buf_add(&g_cur, ",\"process\":", 11);
    buf_jstr(&g_cur, cl->name);
    buf_printf(&g_cur, ",\"machine\":\"%s\"", MACHINE_NAMES[cl->machine]);
    event_end();
    /* its callback objects went with it */
    for (a = 0; a < g_ncallbacks; a++)
      if (g_callbacks[a].client == i) callback_reclaimed(a, at, "process-exit");
    return;
  }

  if (m->src == SRC_SERVER) {
    if (!strcmp(m->text, "<eof>") || !strcmp(m->text, "bye")) { g_server.gone = TRUE; return; }
    if (sscanf(m->text, "created %d", &a) == 1) {
      g_created_obj = a;
      if (g_verbose_notes) note(at, "server: object %d created", a);
    } else if (sscanf(m->text, "destroyed %d", &a) == 1) {
      server_oid(a, oid, sizeof oid);
      emit_reclaimed(at, "server", oid, server_reclaim_cause());
    } else if (sscanf(m->text, "ref %d %ld", &a, &b) == 2) {
      if (g_verbose_notes) note(at, "server: object %d AddRef -> %ld", a, b);
    } else if (sscanf(m->text, "unref %d %ld", &a, &b) == 2) {
      if (g_verbose_notes) note(at, "server: object %d Release -> %ld", a, b);
    } else if (sscanf(m->text, "advise %d %ld %lx", &a, &b, (unsigned long *)&c) == 3) {
      if (g_verbose_notes) note(at, "server: object %d kept callback %ld, first call 0x%08lx", a, b, (unsigned long)c);
    } else if (sscanf(m->text, "sync %ld", &b) == 1) g_server.last_sync = b;
    else if (!strncmp(m->text, "ready ", 6)) {
      g_server.ready = TRUE;
      sscanf(m->text + 6, "%lx", &g_server.security_hr);
    } else if (!strncmp(m->text, "done ", 5)) record_done(m->text, at);
    else diag("driver", "server said: %s", m->text);
    return;
  }

  if (m->src >= 0 && m->src < g_nclients) {
    Client *cl = &g_clients[m->src];
    if (!strcmp(m->text, "<eof>")) cl->pipe_open = FALSE;
    else if (!strncmp(m->text, "hello ", 6)) cl->ready = TRUE;
    else if (sscanf(m->text, "cbcall %ld", &b) == 1) {
      if (b >= 0 && b < g_ncallbacks) {
        event_begin("callbackDelivered", at);
        buf_add(&g_cur, ",\"callback\":", 12);
        buf_jstr(&g_cur, g_callbacks[b].name);
        buf_add(&g_cur, ",\"process\":", 11);
        buf_jstr(&g_cur, cl->name);
        event_end();
      }
    } else if (sscanf(m->text, "cbgone %ld", &b) == 1) {
      if (b >= 0 && b < g_ncallbacks) {
        const char *cause = "rundown";
        if (!strcmp(g_current_kind, "releaseCallback") || !strcmp(g_current_kind, "passCallback")) cause = "release";
        else if (g_current_client == m->src &&
                 (!strcmp(g_current_kind, "exit") || !strcmp(g_current_kind, "abandon") || !strcmp(g_current_kind, "crash")))
          cause = "process-exit";
        callback_reclaimed((int)b, at, cause);
      }
    } else if (sscanf(m->text, "sync %ld", &b) == 1) cl->last_sync = b;
    else if (!strncmp(m->text, "done ", 5)) record_done(m->text, at);
    else diag("driver", "client %s said: %s", cl->name, m->text);
  }
}

/* Handles queued lines until `until` (on our clock), or until done() holds, checked after
 * every line so that what the caller emits next follows exactly that line. */
static BOOL pump(double until, BOOL (*done)(void *), void *ctx)
{
  Msg m;
  for (;;) {
    if (done && done(ctx)) return TRUE;
    if (queue_pop(&m)) {
      process_msg(&m);
      continue;
    }
    {
      double left = until - clock_ms();
      if (left <= 0) return done ? done(ctx) : TRUE;
      WaitForSingleObject(g_qevent, left > 1e9 ? 1000000000 : (DWORD)(left + 1));
    }
  }
}

/* The deadline for a wait of virtual_ms that starts now, never sooner than REAL_FLOOR_MS real. */
static double deadline(double virtual_ms)
{
  double floor = REAL_FLOOR_MS * g_scale;
  return clock_ms() + (virtual_ms > floor ? virtual_ms : floor);
}

static BOOL result_ready(void *ctx) { return result_slot(*(long *)ctx)->got; }
static BOOL server_ready(void *ctx) { return g_server.ready || g_server.gone; }
static BOOL client_ready(void *ctx) { Client *c = ctx; return c->ready || !c->pipe_open || c->exited; }
static BOOL client_exited(void *ctx) { return ((Client *)ctx)->exited; }
static BOOL server_gone(void *ctx) { return g_server.gone; }

typedef struct { long n; } SyncCtx;
static BOOL all_synced(void *ctx)
{
  long n = ((SyncCtx *)ctx)->n;
  int i;
  if (g_server.in && !g_server.gone && g_server.last_sync < n) return FALSE;
  for (i = 0; i < g_nclients; i++)
    if (g_clients[i].pipe_open && !g_clients[i].exited && g_clients[i].last_sync < n) return FALSE;
  return TRUE;
}

static BOOL send_line(HANDLE h, const char *fmt, ...)
{
  char buf[1024];
  va_list ap;
  int n;
  DWORD put = 0, done = 0;
  if (!h) return FALSE;
  va_start(ap, fmt);
  n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
  va_end(ap);
  if (n < 0 || n > (int)sizeof buf - 2) return FALSE;
  buf[n++] = '\n';
  while (done < (DWORD)n) {
    if (!WriteFile(h, buf + done, (DWORD)n - done, &put, NULL) || !put) return FALSE;
    done += put;
  }
  return TRUE;
}

/* Makes sure every line the server and the live clients wrote before now has been handled. */
static void barrier(void)
{
  SyncCtx ctx;
  int i;
  ctx.n = g_next_request++;
  if (g_server.in && !g_server.gone) send_line(g_server.in, "sync %ld", ctx.n);
  for (i = 0; i < g_nclients; i++)
    if (g_clients[i].pipe_open && !g_clients[i].exited) send_line(g_clients[i].in, "sync %ld", ctx.n);
  pump(deadline(BARRIER_MS), all_synced, &ctx);
}

/* ---- processes --------------------------------------------------------------------------- */

static BOOL spawn(const WCHAR *exe, const char *args, HANDLE *process, HANDLE *to_child, HANDLE *from_child)
{
  SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
  HANDLE in_r = NULL, in_w = NULL, out_r = NULL, out_w = NULL;
  STARTUPINFOW si;
  PROCESS_INFORMATION pi;
  WCHAR cmd[1024];
  BOOL ok;
  if (!CreatePipe(&in_r, &in_w, &sa, 0)) return FALSE;
  if (!CreatePipe(&out_r, &out_w, &sa, 0)) { CloseHandle(in_r); CloseHandle(in_w); return FALSE; }
  SetHandleInformation(in_w, HANDLE_FLAG_INHERIT, 0);
  SetHandleInformation(out_r, HANDLE_FLAG_INHERIT, 0);
  memset(&si, 0, sizeof si);
  si.cb = sizeof si;
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdInput = in_r;
  si.hStdOutput = out_w;
  si.hStdError = g_log;
  swprintf(cmd, sizeof cmd / sizeof *cmd, L"\"%ls\" %hs", exe, args);
  ok = CreateProcessW(exe, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi);
  CloseHandle(in_r);
  CloseHandle(out_w);
  if (!ok) {
    diag("driver", "CreateProcess %ls failed: %lu", exe, GetLastError());
    CloseHandle(in_w);
    CloseHandle(out_r);
    return FALSE;
  }
  CloseHandle(pi.hThread);
  *process = pi.hProcess;
  *to_child = in_w;
  *from_child = out_r;
  return TRUE;
}

/* Runs a Unix program (Wine starts ELF executables itself) and waits for it. */
static BOOL run_unix(const char *cmdline)
{
  STARTUPINFOA si;
  PROCESS_INFORMATION pi;
  char cmd[256];
  lstrcpynA(cmd, cmdline, sizeof cmd);
  memset(&si, 0, sizeof si);
  si.cb = sizeof si;
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdInput = si.hStdOutput = si.hStdError = g_log;
  if (!CreateProcessA(NULL, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi)) return FALSE;
  WaitForSingleObject(pi.hProcess, (DWORD)g_infra_ms);
  CloseHandle(pi.hThread);
  CloseHandle(pi.hProcess);
  return TRUE;
}

/* The Unix pid of the Wine process whose command line carries `token`, found in /proc. */
static long unix_pid_of(const char *token)
{
  WIN32_FIND_DATAA fd;
  HANDLE find = FindFirstFileA("Z:\\proc\\*", &fd);
  long found = -1;
  if (find == INVALID_HANDLE_VALUE) return -1;
  do {
    char path[MAX_PATH], buf[4096];
    HANDLE f;
    DWORD got = 0, i;
    if (fd.cFileName[0] < '1' || fd.cFileName[0] > '9') continue;
    snprintf(path, sizeof path, "Z:\\proc\\%s\\cmdline", fd.cFileName);
    f = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
    if (f == INVALID_HANDLE_VALUE) continue;
    if (ReadFile(f, buf, sizeof buf - 1, &got, NULL)) {
      for (i = 0; i < got; i++)
        if (!buf[i]) buf[i] = ' ';
      buf[got] = 0;
      if (strstr(buf, token)) found = atol(fd.cFileName);
    }
    CloseHandle(f);
  } while (found < 0 && FindNextFileA(find, &fd));
  FindClose(find);
  return found;
}

static void kill_client(int i)
{
  Client *cl = &g_clients[i];
  if (cl->process && !cl->exited) TerminateProcess(cl->process, 1);
  if (cl->in) { CloseHandle(cl->in); cl->in = NULL; }
}

/* The SDDL a process on `machine` passes to CoInitializeSecurity for its access permission. */
static void access_sddl(int machine, char *out, size_t cap)
{
  static const struct { int bit; const char *sid; } principals[] = {
    {P_SYSTEM, "SY"}, {P_INTERACTIVE, "IU"}, {P_EVERYONE, "WD"}, {P_ADMINS, "BA"}};
  const Access *acc = &g_access[machine];
  size_t i;
  int n;
  if (acc->kind == 0) { lstrcpynA(out, "-", (int)cap); return; } /* absent: NULL descriptor */
  n = snprintf(out, cap, "O:%sG:%sD:", g_user_sid, g_user_sid);
  if (acc->kind == 1) { /* empty: the launching user and SYSTEM (Q255890) */
    snprintf(out + n, cap - (size_t)n, "(A;;0x7;;;%s)(A;;0x7;;;SY)", g_user_sid);
    return;
  }
  /* COM_RIGHTS_EXECUTE|EXECUTE_LOCAL|EXECUTE_REMOTE; deny entries first (canonical order) */
  for (i = 0; i < sizeof principals / sizeof *principals; i++)
    if (acc->deny & principals[i].bit) n += snprintf(out + n, cap - (size_t)n, "(D;;0x7;;;%s)", principals[i].sid);
  for (i = 0; i < sizeof principals / sizeof *principals; i++)
    if (acc->allow & principals[i].bit) n += snprintf(out + n, cap - (size_t)n, "(A;;0x7;;;%s)", principals[i].sid);
}

/* HKLM\Software\Microsoft\Ole\DefaultAccessPermission of the (one) Wine machine follows client1. */
static void write_default_access(void)
{
  char sddl[512];
  PSECURITY_DESCRIPTOR sd = NULL;
  ULONG size = 0;
  HKEY key;
  access_sddl(M_CLIENT1, sddl, sizeof sddl);
  if (RegCreateKeyExA(HKEY_LOCAL_MACHINE, "Software\\Microsoft\\Ole", 0, NULL, 0, KEY_WRITE, NULL, &key, NULL)) return;
  if (!strcmp(sddl, "-")) RegDeleteValueA(key, "DefaultAccessPermission");
  else if (ConvertStringSecurityDescriptorToSecurityDescriptorA(sddl, SDDL_REVISION_1, &sd, &size)) {
    RegSetValueExA(key, "DefaultAccessPermission", 0, REG_BINARY, sd, size);
    LocalFree(sd);
  }
  RegCloseKey(key);
}

static int principal_bits(const JNode *arr)
{
  int bits = 0;
  const JNode *c;
  if (!arr || arr->type != J_ARR) return 0;
  for (c = arr->child; c; c = c->next) {
    if (c->type != J_STR) continue;
    if (!strcmp(c->str, "SYSTEM")) bits |= P_SYSTEM;
    else if (!strcmp(c->str, "INTERACTIVE")) bits |= P_INTERACTIVE;
    else if (!strcmp(c->str, "Everyone")) bits |= P_EVERYONE;
    else if (!strcmp(c->str, "Administrators")) bits |= P_ADMINS;
  }
  return bits;
}

static void parse_access(const JNode *n, Access *out)
{
  const char *kind = json_str(n, "kind");
  memset(out, 0, sizeof *out);
  if (!kind || !strcmp(kind, "absent")) return;
  if (!strcmp(kind, "empty")) { out->kind = 1; return; }
  out->kind = 2;
  out->allow = principal_bits(json_get(n, "allow"));
  out->deny = principal_bits(json_get(n, "deny"));
}

static int machine_index(const char *name)
{
  int i;
  for (i = 0; name && i < M_COUNT; i++)
    if (!strcmp(name, MACHINE_NAMES[i])) return i;
  return -1;
}

static void stop_server(void)
{
  if (!g_server.process) return;
  if (!g_server.gone && g_server.in) {
    send_line(g_server.in, "quit");
    pump(clock_ms() + g_infra_ms / 6, server_gone, NULL);
  }
  if (WaitForSingleObject(g_server.process, (DWORD)(g_infra_ms / 6)) != WAIT_OBJECT_0) {
    diag("driver", "server did not quit; terminating it");
    TerminateProcess(g_server.process, 1);
    WaitForSingleObject(g_server.process, (DWORD)g_infra_ms);
  }
  CloseHandle(g_server.process);
  if (g_server.in) CloseHandle(g_server.in);
  memset(&g_server, 0, sizeof g_server);
}

static void stop_everything(void)
{
  int i;
  for (i = 0; i < g_nclients; i++) kill_client(i);
  for (i = 0; i < g_nclients; i++)
    if (g_clients[i].process && !g_clients[i].exited) pump(clock_ms() + 2000, client_exited, &g_clients[i]);
  stop_server();
}

static const char *start_server(void)
{
  char args[600], sddl[512];
  HANDLE out;
  access_sddl(M_SERVER, sddl, sizeof sddl);
  snprintf(args, sizeof args, "-dcomkit %s", sddl);
  memset(&g_server, 0, sizeof g_server);
  if (!spawn(g_server_exe, args, &g_server.process, &g_server.in, &out)) return "could not start server.exe";
  start_reader(out, SRC_SERVER);
  pump(clock_ms() + g_infra_ms, server_ready, NULL);
  if (!g_server.ready) return "server.exe did not register its class object";
  return NULL;
}

/* ---- requests ---------------------------------------------------------------------------- */

static Client *find_client(const char *name, int *index)
{
  int i;
  for (i = 0; name && i < g_nclients; i++)
    if (!strcmp(g_clients[i].name, name)) { if (index) *index = i; return &g_clients[i]; }
  return NULL;
}

static Handle *find_handle(const char *name)
{
  int i;
  for (i = 0; name && i < g_nhandles; i++)
    if (!strcmp(g_handles[i].name, name)) return &g_handles[i];
  return NULL;
}

static int find_callback(const char *name)
{
  int i;
  for (i = 0; name && i < g_ncallbacks; i++)
    if (!strcmp(g_callbacks[i].name, name)) return i;
  return -1;
}

/* Sends "<verb> <n> <rest>" to a child and waits up to timeout_ms for "done <n> ...".
 * Returns the result, or NULL when nothing came back in time. */
static Result *call_child(HANDLE h, double timeout_ms, const char *verb, const char *rest)
{
  long n = g_next_request++;
  Result *r = result_slot(n);
  memset(r, 0, sizeof *r);
  r->n = n;
  if (!send_line(h, "%s %ld %s", verb, n, rest ? rest : "")) return NULL;
  pump(deadline(timeout_ms), result_ready, &n);
  return r->got ? r : NULL;
}

static void emit_completed_oid(double at, unsigned long hr, const char *oid)
{
  event_begin("completed", at);
  buf_printf(&g_cur, ",\"hr\":%lu", hr);
  if (oid) {
    buf_add(&g_cur, ",\"oid\":", 7);
    buf_jstr(&g_cur, oid);
  }
  event_end();
}

static void emit_completed(double at, unsigned long hr, int obj)
{
  char oid[64];
  if (obj > 0) server_oid(obj, oid, sizeof oid);
  emit_completed_oid(at, hr, obj > 0 ? oid : NULL);
}

/* A calling action: completed on an answer, hung when none came within the call timeout. */
static Result *calling(HANDLE h, const char *verb, const char *rest, int *obj_out)
{
  double start = vnow();
  Result *r = call_child(h, CALL_TIMEOUT_MS, verb, rest);
  if (!r) {
    event_begin("hung", start + CALL_TIMEOUT_MS);
    buf_add(&g_cur, ",\"detail\":", 10);
    buf_jstr(&g_cur, "no answer within the call timeout");
    event_end();
    return NULL;
  }
  /* The answer line may have been handled before the events it caused (other pipes):
   * the completion is placed after them by the barrier in apply(). */
  if (obj_out) *obj_out = 0;
  return r;
}

static void sanitize(const char *in, char *out, size_t cap)
{
  size_t i = 0;
  for (; in && *in && i + 1 < cap; in++) {
    unsigned char c = (unsigned char)*in;
    out[i++] = (c > 0x20 && c != '"' && c != '\\' && c < 0x7f) ? (char)c : '_';
  }
  if (!i) out[i++] = '_';
  out[i] = 0;
}

static const char *apply_start(const JNode *a)
{
  const char *name = json_str(a, "process"), *machine = json_str(a, "machine");
  int mi = machine_index(machine);
  Client *cl;
  HANDLE out;
  WaiterArgs *w;
  HANDLE t;
  if (!name) return "start: process missing";
  if (mi < 0 || mi == M_SERVER) return "start: unknown client machine";
  if (find_client(name, NULL)) return "start: process name already used in this run";
  if (g_nclients >= MAX_CLIENTS) return "start: too many client processes";
  cl = &g_clients[g_nclients];
  memset(cl, 0, sizeof *cl);
  lstrcpynA(cl->name, name, sizeof cl->name);
  cl->machine = mi;
  cl->last_sync = 0;
  snprintf(cl->token, sizeof cl->token, "dcomkit%lux%dx%dz", g_pid, g_gen, g_nclients);
  if (!spawn(g_client_exe, cl->token, &cl->process, &cl->in, &out)) return "start: could not start client.exe";
  cl->pipe_open = TRUE;
  g_nclients++;
  start_reader(out, g_nclients - 1);
  w = HeapAlloc(GetProcessHeap(), 0, sizeof *w);
  if (DuplicateHandle(GetCurrentProcess(), cl->process, GetCurrentProcess(), &w->process, 0, FALSE,
                      DUPLICATE_SAME_ACCESS)) {
    w->index = g_nclients - 1;
    w->gen = g_gen;
    t = CreateThread(NULL, 0, waiter_thread, w, 0, NULL);
    if (t) CloseHandle(t);
  }
  pump(clock_ms() + g_infra_ms, client_ready, cl);
  if (!cl->ready) return "start: client.exe did not come up";
  snprintf(g_summary, sizeof g_summary, "%s: client.exe started on %s (Wine pid %lu)%s", cl->name, MACHINE_NAMES[mi],
           GetProcessId(cl->process), mi == M_CLIENT2 ? "; client2 shares the one Wine machine" : "");
  return NULL;
}

/* Waits for a process that was told to end; processExit comes from its waiter thread. */
static void await_exit(Client *cl)
{
  pump(deadline(EXIT_WAIT_MS), client_exited, cl);
}

/* handOver: CoMarshalInterface in the handle's process, CoUnmarshalInterface in `process`; the
 * marshalled OBJREF goes through a file in the prefix. One completed (or hung) event: the
 * unmarshal's, or the marshal's when that already failed. */
static const char *apply_hand_over(const JNode *a)
{
  const char *nname = json_str(a, "newHandle");
  char path[MAX_PATH], dir[MAX_PATH], rest[MAX_PATH + 32];
  Handle *hd = find_handle(json_str(a, "handle"));
  Client *from, *to;
  int ti = -1, from_index;
  Result *r;
  if (!hd) return "unknown handle";
  from_index = hd->client;
  from = &g_clients[from_index];
  if (!(to = find_client(json_str(a, "process"), &ti))) return "unknown process";
  if (from->ended || from->exited) return "the handle's process has ended";
  if (to->ended || to->exited) return "the receiving process has ended";
  if (!nname || find_handle(nname)) return "handOver: newHandle missing or already used";
  if (g_nhandles >= MAX_HANDLES) return "handOver: too many handles";
  g_current_client = from_index;
  if (!GetTempPathA(sizeof dir, dir)) lstrcpyA(dir, ".\\");
  snprintf(path, sizeof path, "%sdcomkit-%lu-%ld.objref", dir, g_pid, g_next_request);
  snprintf(rest, sizeof rest, "%d %s", hd->slot, path);
  if (!(r = calling(from->in, "marshal", rest, NULL))) return NULL;
  if (r->hr >= 0x80000000ul) {
    emit_completed(r->at, r->hr, 0);
    DeleteFileA(path);
    return NULL;
  }
  g_current_client = ti;
  snprintf(rest, sizeof rest, "%d %s", to->next_slot, path);
  if ((r = calling(to->in, "unmarshal", rest, NULL))) {
    if (r->hr < 0x80000000ul) {
      Handle *nh = &g_handles[g_nhandles++];
      hd = find_handle(json_str(a, "handle"));
      lstrcpynA(nh->name, nname, sizeof nh->name);
      nh->client = ti;
      nh->slot = to->next_slot;
      nh->obj = hd->obj;
    } else {
      /* Nobody unmarshalled it: the marshaller releases what the OBJREF holds. */
      Result *rel = call_child(from->in, CALL_TIMEOUT_MS, "relmarshal", path);
      if (!rel || rel->hr) note(vnow(), "CoReleaseMarshalData in %s: %s 0x%08lx", from->name, rel ? "failed" : "no answer", rel ? rel->hr : 0ul);
    }
    emit_completed(r->at, r->hr, r->hr < 0x80000000ul ? hd->obj : 0);
  }
  to->next_slot++;
  DeleteFileA(path);
  return NULL;
}

static const char *apply_action(const JNode *a, char *err, size_t errcap)
{
  const char *kind = json_str(a, "kind");
  char rest[512];
  int ci = -1;
  Client *cl;
  Handle *hd;
  Result *r;
  if (!kind) return "action without kind";
  g_current_kind = kind;
  g_current_client = -1;
  g_created_obj = 0;
  snprintf(g_summary, sizeof g_summary, "%s carried out", kind);

  if (!strcmp(kind, "setAccess")) {
    int mi = machine_index(json_str(a, "machine"));
    if (mi < 0) return "setAccess: unknown machine";
    parse_access(json_get(a, "access"), &g_access[mi]);
    if (mi == M_CLIENT1) write_default_access();
    {
      char sddl[512];
      access_sddl(mi, sddl, sizeof sddl);
      snprintf(g_summary, sizeof g_summary, "%s access permission is now %s%s", MACHINE_NAMES[mi],
               strcmp(sddl, "-") ? sddl : "absent (NULL descriptor)",
               mi == M_SERVER ? " (the server reads it when it starts, at the next reset)" : "");
    }
    return NULL;
  }
  if (!strcmp(kind, "start")) return apply_start(a);

  if (!strcmp(kind, "initSecurity") || !strcmp(kind, "activate") || !strcmp(kind, "exit") ||
      !strcmp(kind, "abandon") || !strcmp(kind, "crash")) {
    if (!(cl = find_client(json_str(a, "process"), &ci))) return "unknown process";
    g_current_client = ci;
    if (cl->ended || cl->exited) return "the process has already ended";
    if (!strcmp(kind, "initSecurity")) {
      char sddl[512];
      access_sddl(cl->machine, sddl, sizeof sddl);
      snprintf(rest, sizeof rest, "%.0f %.0f %.0f %s", json_num(a, "authnLevel", 0), json_num(a, "impLevel", 0),
               json_num(a, "capabilities", 0), sddl);
      if ((r = calling(cl->in, "sec", rest, NULL))) emit_completed(r->at, r->hr, 0);
      return NULL;
    }
    if (!strcmp(kind, "activate")) {
      const char *hname = json_str(a, "handle"), *ctx = json_str(a, "clsctx");
      const JNode *ai = json_get(a, "authInfo");
      char ident[96];
      int with_ai = ai && ai->type == J_OBJ;
      if (!hname) return "activate: handle missing";
      if (find_handle(hname)) return "activate: handle name already used";
      if (g_nhandles >= MAX_HANDLES) return "activate: too many handles";
      sanitize(with_ai ? json_str(ai, "identity") : "-", ident, sizeof ident);
      snprintf(rest, sizeof rest, "%d %d %d %d %lu %.0f %.0f %s", cl->next_slot, ctx && !strcmp(ctx, "remote"),
               json_num(a, "serverInfo", 0) != 0, with_ai,
               with_ai ? (unsigned long)(long long)json_num(ai, "authnSvc", 0) : 0ul,
               with_ai ? json_num(ai, "authnLevel", 0) : 0.0, with_ai ? json_num(ai, "impLevel", 0) : 0.0, ident);
      if ((r = calling(cl->in, "act", rest, NULL))) {
        int obj = 0;
        if (r->hr < 0x80000000ul) {
          barrier(); /* the server's "created" line */
          obj = g_created_obj;
          hd = &g_handles[g_nhandles++];
          lstrcpynA(hd->name, hname, sizeof hd->name);
          hd->client = ci;
          hd->slot = cl->next_slot;
          hd->obj = obj;
        }
        emit_completed(r->at, r->hr, obj);
      }
      cl->next_slot++;
      return NULL;
    }
    /* exit, abandon, crash */
    cl->ended = TRUE;
    if (!strcmp(kind, "crash")) {
      if (g_crashes++ % 2 == 0) {
        note(vnow(), "%s crashes: TerminateProcess", cl->name);
        TerminateProcess(cl->process, 0xdead);
      } else {
        long upid = unix_pid_of(cl->token);
        char cmdline[64];
        note(vnow(), "%s crashes: kill -9 of its Unix process %ld", cl->name, upid);
        snprintf(cmdline, sizeof cmdline, "/bin/kill -9 %ld", upid);
        if (upid <= 0 || !run_unix(cmdline)) {
          note(vnow(), "kill -9 could not be done; TerminateProcess instead");
          TerminateProcess(cl->process, 0xdead);
        }
      }
    } else {
      r = call_child(cl->in, CALL_TIMEOUT_MS, !strcmp(kind, "exit") ? "exit" : "abandon", "");
      if (!r) {
        note(vnow(), "%s did not answer %s within the call timeout; terminating it", cl->name, kind);
        TerminateProcess(cl->process, 0xdead);
      }
    }
    await_exit(cl);
    return NULL;
  }

  if (!strcmp(kind, "setBlanket") || !strcmp(kind, "queryInterface") || !strcmp(kind, "addRef") ||
      !strcmp(kind, "release") || !strcmp(kind, "call") || !strcmp(kind, "passCallback")) {
    if (!(hd = find_handle(json_str(a, "handle")))) return "unknown handle";
    cl = &g_clients[hd->client];
    g_current_client = hd->client;
    if (cl->ended || cl->exited) return "the handle's process has ended";
    if (!strcmp(kind, "setBlanket")) {
      const char *target = json_str(a, "target");
      snprintf(rest, sizeof rest, "%d %d %lu %.0f %.0f %lu", hd->slot, target && !strcmp(target, "iunknown"),
               (unsigned long)(long long)json_num(a, "authnSvc", 0), json_num(a, "authnLevel", 0),
               json_num(a, "impLevel", 0), (unsigned long)(long long)json_num(a, "capabilities", 0));
      if ((r = calling(cl->in, "blanket", rest, NULL))) emit_completed(r->at, r->hr, 0);
    } else if (!strcmp(kind, "queryInterface")) {
      const char *nname = json_str(a, "newHandle"), *iid = json_str(a, "iid");
      int which = !iid || !strcmp(iid, "ITest") ? 0 : !strcmp(iid, "IUnknown") ? 1 : 2;
      if (!nname || find_handle(nname)) return "queryInterface: newHandle missing or already used";
      if (g_nhandles >= MAX_HANDLES) return "queryInterface: too many handles";
      snprintf(rest, sizeof rest, "%d %d %d", hd->slot, cl->next_slot, which);
      if ((r = calling(cl->in, "qi", rest, NULL))) {
        if (r->hr < 0x80000000ul) {
          Handle *nh = &g_handles[g_nhandles++];
          hd = find_handle(json_str(a, "handle"));
          lstrcpynA(nh->name, nname, sizeof nh->name);
          nh->client = hd->client;
          nh->slot = cl->next_slot;
          nh->obj = hd->obj;
        }
        emit_completed(r->at, r->hr, r->hr < 0x80000000ul ? hd->obj : 0);
      }
      cl->next_slot++;
    } else if (!strcmp(kind, "addRef") || !strcmp(kind, "release")) {
      snprintf(rest, sizeof rest, "%d", hd->slot);
      r = call_child(cl->in, CALL_TIMEOUT_MS, kind[0] == 'a' ? "addref" : "release", rest);
      if (!r) note(vnow(), "%s of %s did not return within the call timeout", kind, hd->name);
      else if (r->hr) note(r->at, "%s of %s refused by the client: 0x%08lx", kind, hd->name, r->hr);
      else snprintf(g_summary, sizeof g_summary, "%s->%s() returned %lu", hd->name, kind[0] == 'a' ? "AddRef" : "Release", r->value);
    } else if (!strcmp(kind, "call")) {
      snprintf(rest, sizeof rest, "%d", hd->slot);
      if ((r = calling(cl->in, "call", rest, NULL))) emit_completed(r->at, r->hr, 0);
    } else {
      const char *cbname = json_str(a, "callback");
      Callback *cb;
      if (!cbname || find_callback(cbname) >= 0) return "passCallback: callback missing or already used";
      if (g_ncallbacks >= MAX_CALLBACKS) return "passCallback: too many callbacks";
      cb = &g_callbacks[g_ncallbacks];
      lstrcpynA(cb->name, cbname, sizeof cb->name);
      cb->client = hd->client;
      cb->alive = TRUE;
      snprintf(rest, sizeof rest, "%d %d", hd->slot, g_ncallbacks);
      g_ncallbacks++;
      if ((r = calling(cl->in, "advise", rest, NULL))) {
        char oid[128];
        callback_oid(g_ncallbacks - 1, oid, sizeof oid);
        emit_completed_oid(r->at, r->hr, r->hr < 0x80000000ul ? oid : NULL);
      }
    }
    return NULL;
  }

  if (!strcmp(kind, "handOver")) return apply_hand_over(a);

  if (!strcmp(kind, "invokeCallback") || !strcmp(kind, "releaseCallback")) {
    int cb = find_callback(json_str(a, "callback"));
    if (cb < 0) return "unknown callback";
    g_current_client = g_callbacks[cb].client;
    snprintf(rest, sizeof rest, "%d", cb);
    if (kind[0] == 'i') {
      if ((r = calling(g_server.in, "invoke", rest, NULL))) emit_completed(r->at, r->hr, 0);
    } else {
      r = call_child(g_server.in, CALL_TIMEOUT_MS, "release", rest);
      if (!r) note(vnow(), "the server's Release of %s did not return within the call timeout", g_callbacks[cb].name);
      else if (r->hr) note(r->at, "the server held no callback %s (0x%08lx)", g_callbacks[cb].name, r->hr);
    }
    return NULL;
  }

  if (!strcmp(kind, "disconnect")) {
    if (!(hd = find_handle(json_str(a, "handle")))) return "unknown handle";
    snprintf(rest, sizeof rest, "%d", hd->obj);
    r = call_child(g_server.in, CALL_TIMEOUT_MS, "disconnect", rest);
    if (!r) note(vnow(), "CoDisconnectObject did not return within the call timeout");
    else if (r->hr) note(r->at, "CoDisconnectObject(%s) returned 0x%08lx", hd->name, r->hr);
    return NULL;
  }

  snprintf(err, errcap, "the Wine adapter cannot carry out '%s'", kind);
  return err;
}

/* ---- protocol ---------------------------------------------------------------------------- */

static void reply_events(long id)
{
  Buf line = {0};
  int i;
  qsort(g_evlist, (size_t)g_nevents, sizeof *g_evlist, event_cmp);
  buf_printf(&line, "{\"type\":\"events\",\"id\":%ld,\"events\":[", id);
  for (i = 0; i < g_nevents; i++) {
    if (i) buf_add(&line, ",", 1);
    buf_add(&line, g_evlist[i].json, strlen(g_evlist[i].json));
  }
  buf_add(&line, "]}", 2);
  lineout_printf(&g_kit, "%s", line.s);
  free(line.s);
  events_clear();
}

static void reply_error(long id, BOOL has_id, const char *message)
{
  Buf line = {0};
  buf_add(&line, "{\"type\":\"error\",", 16);
  if (has_id) buf_printf(&line, "\"id\":%ld,", id);
  buf_add(&line, "\"message\":", 10);
  buf_jstr(&line, message);
  buf_add(&line, "}", 1);
  lineout_printf(&g_kit, "%s", line.s);
  free(line.s);
  events_clear();
}

static void hello(void)
{
  static const char *const actions[] = {
    "setAccess", "advance", "start", "initSecurity", "activate", "setBlanket", "queryInterface", "addRef",
    "release", "handOver", "call", "passCallback", "exit", "abandon", "crash", "invokeCallback", "releaseCallback",
    "disconnect"};
  Buf line = {0};
  size_t i;
  buf_printf(&line, "{\"type\":\"hello\",\"protocol\":1,\"name\":\"wine\",\"version\":");
  {
    char v[96];
    snprintf(v, sizeof v, "%s (dcomkit wine driver 1)", g_wine_version);
    buf_jstr(&line, v);
  }
  buf_add(&line, ",\"capabilities\":{\"actions\":[", 28);
  for (i = 0; i < sizeof actions / sizeof *actions; i++) buf_printf(&line, "%s\"%s\"", i ? "," : "", actions[i]);
  buf_printf(&line, "],\"observes\":[\"reclaims\",\"callbacks\",\"exits\"],\"clock\":{\"kind\":\"real\",\"scale\":%g}}}",
             g_scale);
  lineout_printf(&g_kit, "%s", line.s);
  free(line.s);
}

static void reset_world(const JNode *world)
{
  const JNode *machines = json_get(world, "machines");
  int i;
  stop_everything();
  g_gen++;
  {
    Msg m;
    while (queue_pop(&m)) {} /* whatever the old run still said */
  }
  memset(g_clients, 0, sizeof g_clients);
  g_nclients = 0;
  g_nhandles = 0;
  g_ncallbacks = 0;
  g_crashes = 0;
  for (i = 0; i < M_COUNT; i++) {
    const JNode *m = json_get(machines, MACHINE_NAMES[i]);
    parse_access(json_get(m, "access"), &g_access[i]);
  }
  write_default_access();
  events_clear();
}

static void setup_paths(void)
{
  WCHAR dir[MAX_PATH], *slash;
  DWORD n = GetModuleFileNameW(NULL, dir, MAX_PATH);
  HANDLE token;
  if (n && (slash = wcsrchr(dir, L'\\'))) *slash = 0;
  swprintf(g_client_exe, MAX_PATH, L"%ls\\client.exe", dir);
  swprintf(g_server_exe, MAX_PATH, L"%ls\\server.exe", dir);
  if (OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) {
    BYTE buf[256];
    DWORD len = 0;
    char *sid = NULL;
    if (GetTokenInformation(token, TokenUser, buf, sizeof buf, &len) &&
        ConvertSidToStringSidA(((TOKEN_USER *)buf)->User.Sid, &sid)) {
      lstrcpynA(g_user_sid, sid, sizeof g_user_sid);
      LocalFree(sid);
    }
    CloseHandle(token);
  }
  if (!g_user_sid[0]) lstrcpyA(g_user_sid, "BA");
  {
    typedef const char *(CDECL *version_fn)(void);
    version_fn get_version = (version_fn)(void *)GetProcAddress(GetModuleHandleA("ntdll.dll"), "wine_get_version");
    if (get_version) snprintf(g_wine_version, sizeof g_wine_version, "wine-%s", get_version());
  }
}

int main(void)
{
  LineIn *in = HeapAlloc(GetProcessHeap(), 0, sizeof *in);
  char *line = HeapAlloc(GetProcessHeap(), 0, 1 << 20);
  const char *env;
  char errbuf[256];

  /* The kit's pipes must not leak into any child. */
  SetHandleInformation(GetStdHandle(STD_INPUT_HANDLE), HANDLE_FLAG_INHERIT, 0);
  SetHandleInformation(GetStdHandle(STD_OUTPUT_HANDLE), HANDLE_FLAG_INHERIT, 0);
  if (DuplicateHandle(GetCurrentProcess(), GetStdHandle(STD_ERROR_HANDLE), GetCurrentProcess(), &g_log, 0, TRUE,
                      DUPLICATE_SAME_ACCESS) == 0)
    g_log = NULL;
  g_pid = GetCurrentProcessId();
  InitializeCriticalSection(&g_qlock);
  g_qevent = CreateEventA(NULL, FALSE, FALSE, NULL);
  lineout_init(&g_kit, GetStdHandle(STD_OUTPUT_HANDLE));
  linein_init(in, GetStdHandle(STD_INPUT_HANDLE));
  if ((env = getenv("DCOMKIT_WINE_SCALE")) && atof(env) > 0) g_scale = atof(env);
  g_verbose_notes = (env = getenv("DCOMKIT_WINE_NOTES")) && *env == '1';
  g_infra_ms = 60000.0 * g_scale;
  setup_paths();
  g_t0 = clock_ms();
  diag("driver", "up: %s, scale %g, client %ls", g_wine_version, g_scale, g_client_exe);
  hello();

  while (linein_read(in, line, 1 << 20)) {
    const char *err = NULL, *type;
    JNode *msg;
    long id;
    BOOL has_id;
    if (!line[0]) continue;
    msg = json_parse(line, &err);
    if (!msg) {
      snprintf(errbuf, sizeof errbuf, "unreadable request: %s", err ? err : "?");
      reply_error(0, FALSE, errbuf);
      continue;
    }
    type = json_str(msg, "type");
    has_id = json_has_num(msg, "id");
    id = (long)json_num(msg, "id", 0);
    if (!type || !has_id) {
      reply_error(id, has_id, "request without type or id");
    } else if (!strcmp(type, "reset")) {
      reset_world(json_get(msg, "world"));
      err = start_server();
      g_t0 = clock_ms();
      if (err) reply_error(id, TRUE, err);
      else {
        if (g_verbose_notes) note(0, "%s, server security 0x%08lx", g_wine_version, g_server.security_hr);
        reply_events(id);
      }
    } else if (!strcmp(type, "apply")) {
      const JNode *action = json_get(msg, "action");
      if (!g_server.process) err = "apply before reset";
      else err = apply_action(action, errbuf, sizeof errbuf);
      barrier();
      if (!err && !g_nevents) note(vnow(), "%s", g_summary);
      if (err) reply_error(id, TRUE, err);
      else reply_events(id);
      g_current_kind = "";
    } else if (!strcmp(type, "advance")) {
      double ms = json_num(msg, "ms", 0);
      g_current_kind = "advance";
      pump(clock_ms() + (ms > 0 ? ms : 0), NULL, NULL);
      barrier();
      g_current_kind = "";
      reply_events(id);
    } else if (!strcmp(type, "close")) {
      stop_everything();
      events_clear();
      reply_events(id);
      json_free(msg);
      break;
    } else reply_error(id, TRUE, "unknown request type");
    json_free(msg);
  }
  /* stdin closed or close: leave nothing behind */
  stop_everything();
  diag("driver", "done");
  return 0;
}
