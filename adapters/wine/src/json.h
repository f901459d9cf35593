/*
 * A small JSON reader and writer for the driver: enough for the kit's protocol messages
 * (objects, arrays, strings, numbers, booleans, null; \uXXXX escapes become UTF-8).
 */
#ifndef DCOMKIT_WINE_JSON_H
#define DCOMKIT_WINE_JSON_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } JType;

typedef struct JNode {
  JType type;
  double num;       /* J_NUM, J_BOOL (0/1) */
  char *str;        /* J_STR */
  char *key;        /* member name when inside an object */
  struct JNode *child, *next;
} JNode;

typedef struct {
  const char *p;
  const char *err;
} JParser;

static void json_free(JNode *n)
{
  while (n) {
    JNode *next = n->next;
    json_free(n->child);
    free(n->str);
    free(n->key);
    free(n);
    n = next;
  }
}

static void j_ws(JParser *ps)
{
  while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r') ps->p++;
}

static void j_put_utf8(char **out, unsigned cp)
{
  char *o = *out;
  if (cp < 0x80) *o++ = (char)cp;
  else if (cp < 0x800) { *o++ = (char)(0xc0 | (cp >> 6)); *o++ = (char)(0x80 | (cp & 0x3f)); }
  else if (cp < 0x10000) {
    *o++ = (char)(0xe0 | (cp >> 12)); *o++ = (char)(0x80 | ((cp >> 6) & 0x3f)); *o++ = (char)(0x80 | (cp & 0x3f));
  } else {
    *o++ = (char)(0xf0 | (cp >> 18)); *o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
    *o++ = (char)(0x80 | ((cp >> 6) & 0x3f)); *o++ = (char)(0x80 | (cp & 0x3f));
  }
  *out = o;
}

static int j_hex4(const char *s, unsigned *v)
{
  int i;
  *v = 0;
  for (i = 0; i < 4; i++) {
    char c = s[i];
    *v <<= 4;
    if (c >= '0' && c <= '9') *v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') *v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') *v |= (unsigned)(c - 'A' + 10);
    else return 0;
  }
  return 1;
}

static char *j_string(JParser *ps)
{
  const char *s = ps->p + 1;
  size_t cap = 16;
  char *out, *o;
  const char *q = s;
  while (*q && *q != '"') { if (*q == '\\' && q[1]) q++; q++; cap += 4; }
  out = o = malloc(cap + 1);
  if (!out) { ps->err = "out of memory"; return NULL; }
  while (*s && *s != '"') {
    if (*s != '\\') { *o++ = *s++; continue; }
    s++;
    switch (*s) {
    case '"': *o++ = '"'; break;
    case '\\': *o++ = '\\'; break;
    case '/': *o++ = '/'; break;
    case 'b': *o++ = '\b'; break;
    case 'f': *o++ = '\f'; break;
    case 'n': *o++ = '\n'; break;
    case 'r': *o++ = '\r'; break;
    case 't': *o++ = '\t'; break;
    case 'u': {
      unsigned cp, lo;
      if (!j_hex4(s + 1, &cp)) { ps->err = "bad \\u escape"; free(out); return NULL; }
      s += 4;
      if (cp >= 0xd800 && cp < 0xdc00 && s[1] == '\\' && s[2] == 'u' && j_hex4(s + 3, &lo) && lo >= 0xdc00 && lo < 0xe000) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        s += 6;
      }
      j_put_utf8(&o, cp);
      break;
    }
    default: ps->err = "bad escape"; free(out); return NULL;
    }
    s++;
  }
  if (*s != '"') { ps->err = "unterminated string"; free(out); return NULL; }
  *o = 0;
  ps->p = s + 1;
  return out;
}

static JNode *j_value(JParser *ps, int depth)
{
  JNode *n;
  j_ws(ps);
  if (depth > 64) { ps->err = "too deep"; return NULL; }
  n = calloc(1, sizeof *n);
  if (!n) { ps->err = "out of memory"; return NULL; }
  switch (*ps->p) {
  case '{':
  case '[': {
    int obj = *ps->p == '{';
    JNode **tail = &n->child;
    n->type = obj ? J_OBJ : J_ARR;
    ps->p++;
    j_ws(ps);
    if (*ps->p == (obj ? '}' : ']')) { ps->p++; return n; }
    for (;;) {
      char *key = NULL;
      JNode *item;
      j_ws(ps);
      if (obj) {
        if (*ps->p != '"') { ps->err = "expected a member name"; break; }
        if (!(key = j_string(ps))) break;
        j_ws(ps);
        if (*ps->p != ':') { ps->err = "expected ':'"; free(key); break; }
        ps->p++;
      }
      if (!(item = j_value(ps, depth + 1))) { free(key); break; }
      item->key = key;
      *tail = item;
      tail = &item->next;
      j_ws(ps);
      if (*ps->p == ',') { ps->p++; continue; }
      if (*ps->p == (obj ? '}' : ']')) { ps->p++; return n; }
      ps->err = "expected ',' or a closing bracket";
      break;
    }
    json_free(n);
    return NULL;
  }
  case '"':
    n->type = J_STR;
    if (!(n->str = j_string(ps))) { free(n); return NULL; }
    return n;
  case 't':
    if (!strncmp(ps->p, "true", 4)) { n->type = J_BOOL; n->num = 1; ps->p += 4; return n; }
    break;
  case 'f':
    if (!strncmp(ps->p, "false", 5)) { n->type = J_BOOL; n->num = 0; ps->p += 5; return n; }
    break;
  case 'n':
    if (!strncmp(ps->p, "null", 4)) { n->type = J_NULL; ps->p += 4; return n; }
    break;
  default: {
    char *end;
    n->num = strtod(ps->p, &end);
    if (end != ps->p) { n->type = J_NUM; ps->p = end; return n; }
  }
  }
  ps->err = "unexpected character";
  free(n);
  return NULL;
}

/* Parses a whole document; returns NULL and sets *err on failure. */
static JNode *json_parse(const char *text, const char **err)
{
  JParser ps = {text, NULL};
  JNode *n = j_value(&ps, 0);
  if (n) {
    j_ws(&ps);
    if (*ps.p) { ps.err = "trailing characters"; json_free(n); n = NULL; }
  }
  if (err) *err = ps.err;
  return n;
}

static JNode *json_get(const JNode *obj, const char *key)
{
  JNode *c;
  if (!obj || obj->type != J_OBJ) return NULL;
  for (c = obj->child; c; c = c->next)
    if (c->key && !strcmp(c->key, key)) return c;
  return NULL;
}

static const char *json_str(const JNode *obj, const char *key)
{
  JNode *n = json_get(obj, key);
  return n && n->type == J_STR ? n->str : NULL;
}

static int json_has_num(const JNode *obj, const char *key)
{
  JNode *n = json_get(obj, key);
  return n && n->type == J_NUM;
}

static double json_num(const JNode *obj, const char *key, double fallback)
{
  JNode *n = json_get(obj, key);
  return n && (n->type == J_NUM || n->type == J_BOOL) ? n->num : fallback;
}

/* ---- writer -------------------------------------------------------------------------- */

typedef struct {
  char *s;
  size_t len, cap;
} Buf;

static void buf_reserve(Buf *b, size_t more)
{
  if (b->len + more + 1 <= b->cap) return;
  while (b->len + more + 1 > b->cap) b->cap = b->cap ? b->cap * 2 : 1024;
  b->s = realloc(b->s, b->cap);
  if (!b->s) abort();
}

static void buf_add(Buf *b, const char *s, size_t n)
{
  buf_reserve(b, n);
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = 0;
}

static void buf_printf(Buf *b, const char *fmt, ...)
{
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  buf_reserve(b, (size_t)n);
  va_start(ap, fmt);
  vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

static void buf_jstr(Buf *b, const char *s)
{
  buf_add(b, "\"", 1);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') { char e[2] = {'\\', (char)c}; buf_add(b, e, 2); }
    else if (c < 0x20) buf_printf(b, "\\u%04x", c);
    else buf_add(b, (const char *)&c, 1);
  }
  buf_add(b, "\"", 1);
}

static void buf_clear(Buf *b)
{
  b->len = 0;
  if (b->s) b->s[0] = 0;
}

#endif
