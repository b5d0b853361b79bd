/* SPDX-License-Identifier: MIT */
/*
 * Stand-alone driver for fuzz-response.c: mutates built-in seeds (one
 * valid response per decoder, written by hand) and runs the target on an
 * exact-size heap copy of each input, so it runs under ASan/UBSan in
 * `make check` without libFuzzer.
 *
 * Environment: GWD_FUZZ_ITERATIONS (default 200000), GWD_FUZZ_SECONDS
 * (default 20), GWD_FUZZ_SEED (default 1; printed for reproduction).
 * Exits 0 when the budget is spent; a sanitizer report aborts.
 * GWD_FUZZ_WRITE_SEEDS=DIR only writes the seeds as files (a libFuzzer
 * corpus for `make fuzz`).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HDR(cmd)                                                              \
        "FE534D42 4000 0100 00000000" cmd "00 0100 01000000 00000000"         \
        "0700000000000000 FFFE0000 05000000 1100000000000000"                 \
        "00000000000000000000000000000000"
#define FID "0102030405060708090A0B0C0D0E0F10"

static const char *const seeds[] = {
        /* NEGOTIATE 3.1.1 with SPNEGO hint and three contexts */
        HDR("00") "4100 0100 1103 0300 101112131415161718191A1B1C1D1E1F 46000000"
        "00008000 00001000 00000200 000000000000D901 0000000000000000 8000 0A00 90000000"
        "60080606 2B060105 0502 000000000000"
        "0100260000000000 0100 2000 0100"
        "C0C1C2C3C4C5C6C7C8C9CACBCCCDCECFD0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF 0000"
        "0200040000000000 0100 0200 00000000"
        "0800040000000000 0100 0200",
        /* SESSION_SETUP, MORE_PROCESSING_REQUIRED */
        HDR("01") "0900 0000 4800 0600 A1B2C3D4E5F6",
        HDR("02") "04000000",
        /* TREE_CONNECT */
        HDR("03") "1000 01 00 10800000 08000000 FF011F00",
        HDR("04") "04000000",
        /* CREATE with MxAc + DH2Q response contexts */
        HDR("05") "5900 09 00 01000000 010000000000D001 020000000000D001 030000000000D001"
        "040000000000D001 0010000000000000 2301000000000000 20000000 00000000" FID
        "98000000 40000000"
        "20000000 1000 0400 0000 1800 08000000 4D784163 00000000 00000000 FF011F00"
        "00000000 1000 0400 0000 1800 08000000 44483251 00000000 60EA0000 00000000",
        /* CLOSE */
        HDR("06") "3C00 0100 00000000 010000000000D001 020000000000D001 030000000000D001"
        "040000000000D001 0020000000000000 FF1F000000000000 10000000",
        HDR("07") "04000000",
        /* READ */
        HDR("08") "1100 50 00 05000000 00000000 00000000 68656C6C6F",
        /* WRITE */
        HDR("09") "1100 0000 03000000 00000000 0000 0000",
        /* QUERY_DIRECTORY with one FileIdBothDirectoryInformation entry "ab" */
        HDR("0E") "0900 4800 6C000000"
        "00000000 09000000 0000000000000000 0000000000000000 030000000000D001"
        "0000000000000000 1000000000000000 0010000000000000 20000000 04000000"
        "07000000 04 00 410042000000000000000000000000000000000000000000 0000"
        "0600000000000000 61006200",
        /* QUERY_INFO FileAllInformation */
        HDR("10") "0900 4800 6A000000"
        "010000000000D001 0000000000000000 0000000000000000 040000000000D001 20000000 00000000"
        "0020000000000000 3412000000000000 01000000 00 00 0000"
        "EFCDAB0000000000 00000000 FF011F00 0000000000000000 00000000 00000000"
        "06000000 5C0066007800",
        HDR("11") "0200",
        HDR("0D") "04000000",
        /* oplock and lease break notifications, lease break response */
        HDR("12") "1800 01 00 00000000" FID,
        HDR("12") "2C00 0300 01000000 A0A1A2A3A4A5A6A7A8A9AAABACADAEAF 07000000 01000000"
        "00000000 00000000 00000000",
        HDR("12") "2400 0000 00000000 A0A1A2A3A4A5A6A7A8A9AAABACADAEAF 01000000 0000000000000000",
        /* ERROR response */
        HDR("05") "0900 00 00 04000000 DEADBEEF",
        /* compound of two ECHO responses (NextCommand patched below) */
        HDR("0D") "04000000 00000000" HDR("0D") "04000000",
        /* transform header + 64 bytes */
        "FD534D42 00112233445566778899AABBCCDDEEFF 0102030405060708090A0B0C00000000"
        "40000000 0000 0100 0500000000000000"
        "5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A"
        "5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A",
};

#define NSEEDS (sizeof(seeds) / sizeof(seeds[0]))
#define MAXLEN 4096

static uint64_t rng_state;

static uint64_t rnd(void)
{
        /* xorshift64*: fast and reproducible from GWD_FUZZ_SEED */
        rng_state ^= rng_state >> 12;
        rng_state ^= rng_state << 25;
        rng_state ^= rng_state >> 27;
        return rng_state * 0x2545F4914F6CDD1Dull;
}

static size_t unhex(uint8_t *out, const char *s)
{
        size_t n = 0;
        int hi = -1;

        for (; *s; s++) {
                int v;
                if (*s >= '0' && *s <= '9')
                        v = *s - '0';
                else if (*s >= 'A' && *s <= 'F')
                        v = *s - 'A' + 10;
                else if (*s >= 'a' && *s <= 'f')
                        v = *s - 'a' + 10;
                else
                        continue;
                if (hi < 0) {
                        hi = v;
                } else if (n < MAXLEN) {
                        out[n++] = (uint8_t)(hi << 4 | v);
                        hi = -1;
                }
        }
        return n;
}

static void put(uint8_t *b, size_t len, size_t off, uint64_t v, int w)
{
        for (int i = 0; i < w && off + (size_t)i < len; i++)
                b[off + (size_t)i] = (uint8_t)(v >> (8 * i));
}

/* Values that sit on the edges of length and offset checks. */
static uint64_t interesting(size_t len)
{
        static const uint64_t fixed[] = { 0, 1, 2, 7, 8, 9, 15, 16, 24, 63, 64, 65, 72, 80,
                                          0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF,
                                          0x10000, 0x7FFFFFFF, 0x80000000u, 0xFFFFFFF8u,
                                          0xFFFFFFFFu };
        switch (rnd() % 4) {
        case 0:
                return len + (rnd() % 17) - 8;
        case 1:
                return (len & ~(size_t)7) + 8 * (rnd() % 3);
        default:
                return fixed[rnd() % (sizeof(fixed) / sizeof(fixed[0]))];
        }
}

static size_t mutate(uint8_t *b, size_t len, const uint8_t (*pool)[MAXLEN],
                     const size_t *pool_len)
{
        int rounds = 1 + (int)(rnd() % 4);

        for (int r = 0; r < rounds; r++) {
                size_t off = len ? rnd() % len : 0;
                switch (rnd() % 8) {
                case 0:
                        if (len)
                                b[off] ^= (uint8_t)(1u << (rnd() % 8));
                        break;
                case 1:
                        if (len)
                                b[off] = (uint8_t)rnd();
                        break;
                case 2:
                        put(b, len, off, interesting(len), 2);
                        break;
                case 3:
                        put(b, len, off, interesting(len), 4);
                        break;
                case 4:   /* aim at the body's length/offset fields */
                        if (len > 72)
                                put(b, len, 64 + (rnd() % 48) * 2, interesting(len),
                                    rnd() % 2 ? 2 : 4);
                        break;
                case 5:   /* truncate */
                        if (len)
                                len = rnd() % len;
                        break;
                case 6: { /* extend with random bytes */
                        size_t add = rnd() % 64;
                        if (len + add > MAXLEN)
                                add = MAXLEN - len;
                        for (size_t i = 0; i < add; i++)
                                b[len + i] = (uint8_t)rnd();
                        len += add;
                        break;
                }
                case 7: { /* splice the tail of another seed */
                        size_t s = rnd() % NSEEDS;
                        size_t from = pool_len[s] ? rnd() % pool_len[s] : 0;
                        size_t n = pool_len[s] - from;
                        if (off + n > MAXLEN)
                                n = MAXLEN - off;
                        memcpy(b + off, pool[s] + from, n);
                        if (off + n > len)
                                len = off + n;
                        break;
                }
                }
        }
        return len;
}

static int write_seeds(const char *dir, uint8_t (*pool)[MAXLEN], const size_t *pool_len)
{
        for (size_t s = 0; s < NSEEDS; s++) {
                char path[4096];
                snprintf(path, sizeof(path), "%s/seed-%02zu", dir, s);
                FILE *f = fopen(path, "wbe");
                if (!f || fwrite(pool[s], 1, pool_len[s], f) != pool_len[s]) {
                        perror(path);
                        if (f)
                                fclose(f);
                        return 1;
                }
                fclose(f);
        }
        return 0;
}

static long env_long(const char *name, long def)
{
        const char *v = getenv(name);
        return v && *v ? strtol(v, NULL, 0) : def;
}

int main(void)
{
        static uint8_t pool[NSEEDS][MAXLEN];
        static size_t pool_len[NSEEDS];
        static uint8_t work[MAXLEN];
        long iters = env_long("GWD_FUZZ_ITERATIONS", 200000);
        long secs = env_long("GWD_FUZZ_SECONDS", 20);
        long seed = env_long("GWD_FUZZ_SEED", 1);
        time_t start = time(NULL);
        long i;

        rng_state = (uint64_t)seed * 0x9E3779B97F4A7C15ull + 1;
        for (size_t s = 0; s < NSEEDS; s++)
                pool_len[s] = unhex(pool[s], seeds[s]);
        /* NextCommand of the first element of the compound seed */
        for (size_t s = 0; s < NSEEDS; s++)
                if (pool_len[s] == 140)
                        put(pool[s], pool_len[s], 20, 72, 4);
        const char *dir = getenv("GWD_FUZZ_WRITE_SEEDS");
        if (dir && *dir)
                return write_seeds(dir, pool, pool_len);

        for (i = 0; i < iters; i++) {
                size_t s = (size_t)i % NSEEDS;
                size_t len = pool_len[s];
                memcpy(work, pool[s], len);
                if (i >= (long)NSEEDS)
                        len = mutate(work, len, (const uint8_t (*)[MAXLEN])pool, pool_len);

                uint8_t *exact = malloc(len ? len : 1);
                if (!exact)
                        return 2;
                memcpy(exact, work, len);
                LLVMFuzzerTestOneInput(exact, len);
                free(exact);

                if ((i & 1023) == 0 && secs > 0 && time(NULL) - start >= secs)
                        break;
        }
        printf("fuzz-driver: %ld inputs, seed %ld, %zu seeds\n", i, seed, (size_t)NSEEDS);
        return 0;
}
