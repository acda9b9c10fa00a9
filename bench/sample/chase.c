/* A calibrator for bench/sample/sample.sh: a random pointer chase over 48 MB (more than this
 * VM's 32 MB L3) and a first touch of 128 MB, so its time moves with the machine's memory
 * latency and page-fault cost, which a build's time depends on. Fixed work, no input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    size_t n = (size_t)6 << 20; /* 6 Mi entries of 8 bytes */
    uint64_t *a = malloc(n * sizeof *a);
    char *b = malloc((size_t)128 << 20);
    if (a == NULL || b == NULL) {
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        a[i] = i;
    }
    /* Sattolo's shuffle with xorshift64: one cycle through every entry. */
    uint64_t x = 88172645463325252ull;
    for (size_t i = n - 1; i > 0; i--) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t j = x % i;
        uint64_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
    size_t p = 0;
    for (size_t i = 0; i < ((size_t)3 << 20); i++) {
        p = a[p];
    }
    for (size_t i = 0; i < ((size_t)128 << 20); i += 4096) {
        b[i] = (char)i;
    }
    printf("%zu %d\n", p, b[4096]);
    return 0;
}
