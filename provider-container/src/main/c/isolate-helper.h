/* What the helper's source files share: dying loudly, writing a file, and the special modes' entry points. */
#ifndef ISOLATE_HELPER_H
#define ISOLATE_HELPER_H

#include <stdarg.h>
#include <stddef.h>

#define PATH_BUF 4096

/* Prints file:line, the message and strerror(err) when err is non-zero, and exits 125. */
void die_at(const char *file, int line, int err, const char *fmt, ...) __attribute__((noreturn, format(printf, 4, 5)));
/* One line of the helper's protocols into buf: formatted, cut to fit, newlines inside made spaces, ending in one
 * newline. Returns its length, or -1. */
int format_line(char *buf, size_t size, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

/* DIE: a failed system call (errno is reported); DIEX: a bad argument (no errno). */
#define DIE(...) die_at(__FILE__, __LINE__, errno, __VA_ARGS__)
#define DIEX(...) die_at(__FILE__, __LINE__, 0, __VA_ARGS__)

/* Writes content to an existing file, or dies. */
void write_file(const char *path, const char *content);

/* isolate-helper --network-keeper (network.c). */
void network_keeper_main(void) __attribute__((noreturn));

/* isolate-helper --unpack DIR (unpack.c). */
void unpack_main(const char *dir) __attribute__((noreturn));

#endif
