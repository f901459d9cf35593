/*
 * Shared by the Wine adapter's three programs (driver.exe, client.exe, server.exe):
 * identifiers of the test class, dispatch ids, and small helpers for the line-oriented
 * pipes the programs talk over. Every program writes whole lines with one WriteFile call
 * under a lock, so lines from different threads never interleave.
 */
#ifndef DCOMKIT_WINE_COMMON_H
#define DCOMKIT_WINE_COMMON_H

#define COBJMACROS
#include <windows.h>
#include <objbase.h>
#include <oleauto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The test class {5F1698A0-B1DE-41BA-B346-4928515E875D}. Its objects expose ITest, which is
 * IDispatch: oleaut32's standard marshaller proxies it without a proxy/stub DLL of ours. */
static const CLSID CLSID_DcomkitTest = {0x5f1698a0, 0xb1de, 0x41ba, {0xb3, 0x46, 0x49, 0x28, 0x51, 0x5e, 0x87, 0x5d}};
#define CLSID_DCOMKIT_TEST_STR L"{5F1698A0-B1DE-41BA-B346-4928515E875D}"
/* An interface no object implements ("IMissing") {29D2C81B-1644-4E81-AD73-0C8F115787E9}. */
static const IID IID_DcomkitMissing = {0x29d2c81b, 0x1644, 0x4e81, {0xad, 0x73, 0x0c, 0x8f, 0x11, 0x57, 0x87, 0xe9}};

/* ITest's methods, as dispatch ids. */
enum {
  DISPID_TEST_METHOD = 1, /* Method(): does nothing, returns the object's number */
  DISPID_TEST_ADVISE = 2, /* Advise(I4 callback number, IDispatch callback): server keeps and invokes it */
};
/* The callback's only method. */
enum { DISPID_CALLBACK_NOTIFY = 1 };

/* Milliseconds on this process's clock (QueryPerformanceCounter; under faketime it runs at
 * the faked speed, so it is the run's virtual time). */
static double clock_ms(void)
{
  static LARGE_INTEGER freq;
  LARGE_INTEGER now;
  if (!freq.QuadPart) QueryPerformanceFrequency(&freq);
  QueryPerformanceCounter(&now);
  return (double)now.QuadPart * 1000.0 / (double)freq.QuadPart;
}

/* ---- line output -------------------------------------------------------------------- */

typedef struct {
  HANDLE h;
  CRITICAL_SECTION lock;
  BOOL broken;
} LineOut;

static void lineout_init(LineOut *o, HANDLE h)
{
  o->h = h;
  o->broken = FALSE;
  InitializeCriticalSection(&o->lock);
}

/* Writes one formatted line (a newline is added). Returns FALSE once the pipe is gone. */
static BOOL lineout_printf(LineOut *o, const char *fmt, ...)
{
  char buf[4096];
  va_list ap;
  int n;
  DWORD done = 0, put;
  BOOL ok = TRUE;
  va_start(ap, fmt);
  n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return FALSE;
  if (n > (int)sizeof buf - 2) n = (int)sizeof buf - 2;
  buf[n++] = '\n';
  EnterCriticalSection(&o->lock);
  while (!o->broken && done < (DWORD)n) {
    if (!WriteFile(o->h, buf + done, (DWORD)n - done, &put, NULL) || !put) {
      o->broken = TRUE;
      break;
    }
    done += put;
  }
  ok = !o->broken;
  LeaveCriticalSection(&o->lock);
  return ok;
}

/* ---- line input --------------------------------------------------------------------- */

typedef struct {
  HANDLE h;
  char buf[65536];
  DWORD len;
} LineIn;

static void linein_init(LineIn *in, HANDLE h)
{
  in->h = h;
  in->len = 0;
}

/* Reads one line into `line` (at most `cap` bytes with the terminator; longer lines are cut).
 * Returns FALSE at end of input. The trailing "\r\n" or "\n" is removed. */
static BOOL linein_read(LineIn *in, char *line, size_t cap)
{
  for (;;) {
    char *nl = memchr(in->buf, '\n', in->len);
    if (nl) {
      size_t n = (size_t)(nl - in->buf);
      size_t keep = n < cap - 1 ? n : cap - 1;
      memcpy(line, in->buf, keep);
      line[keep] = 0;
      if (keep && line[keep - 1] == '\r') line[keep - 1] = 0;
      in->len -= (DWORD)(n + 1);
      memmove(in->buf, nl + 1, in->len);
      return TRUE;
    }
    if (in->len == sizeof in->buf) in->len = 0; /* an absurdly long line: drop it */
    {
      DWORD got = 0;
      if (!ReadFile(in->h, in->buf + in->len, (DWORD)(sizeof in->buf - in->len), &got, NULL) || !got) {
        if (in->len) { /* last line without newline */
          size_t keep = in->len < cap - 1 ? in->len : cap - 1;
          memcpy(line, in->buf, keep);
          line[keep] = 0;
          in->len = 0;
          return TRUE;
        }
        return FALSE;
      }
      in->len += got;
    }
  }
}

/* Diagnostics go to stderr, which the driver points at its log file. */
static void diag(const char *who, const char *fmt, ...)
{
  char buf[2048];
  va_list ap;
  int n;
  DWORD put;
  n = snprintf(buf, sizeof buf, "[%.3f %s %lu] ", clock_ms() / 1000.0, who, GetCurrentProcessId());
  va_start(ap, fmt);
  n += vsnprintf(buf + n, sizeof buf - (size_t)n - 2, fmt, ap);
  va_end(ap);
  if (n > (int)sizeof buf - 2) n = (int)sizeof buf - 2;
  buf[n++] = '\n';
  WriteFile(GetStdHandle(STD_ERROR_HANDLE), buf, (DWORD)n, &put, NULL);
}

#endif
