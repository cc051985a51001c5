/* test.h: a minimal test harness. Each test file is one executable run by ctest.
 * CHECK failures are counted and reported with file:line; the process exits non-zero on any. */
#ifndef SYNACK_TEST_H
#define SYNACK_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

extern int test_failures, test_checks;
extern const char *test_current;

void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define CHECK(cond)                                                             \
    do {                                                                        \
        test_checks++;                                                          \
        if (!(cond)) test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);         \
    } while (0)
#define CHECK_EQ(a, b)                                                          \
    do {                                                                        \
        long long a_ = (long long)(a), b_ = (long long)(b);                     \
        test_checks++;                                                          \
        if (a_ != b_)                                                           \
            test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, a_, b_); \
    } while (0)
#define CHECK_STR(a, b)                                                         \
    do {                                                                        \
        const char *a_ = (a), *b_ = (b);                                        \
        test_checks++;                                                          \
        if (strcmp(a_, b_) != 0)                                                \
            test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b, a_, b_); \
    } while (0)

/* Runs one test function and reports it. */
#define RUN(fn) test_run(#fn, fn)
void test_run(const char *name, void (*fn)(void));
/* Prints "N passed, N failed" and returns the exit status. */
int test_report(void);

#endif
