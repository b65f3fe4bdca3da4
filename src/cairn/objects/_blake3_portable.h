/* A portable BLAKE3 (default hash mode, 32-byte output) for cairn.objects._faststore.
 *
 * Written from the BLAKE3 specification: the input is split into 1024-byte chunks of 64-byte
 * blocks; each chunk is compressed block by block starting from the key (the IV in hash
 * mode) with the chunk's index as counter; chunk chaining values are combined pairwise by
 * parent nodes into a binary tree whose left subtree always holds the largest power of two
 * of chunks; the root node (a lone chunk's last block, or the top parent) is compressed with
 * the ROOT flag and the first 32 bytes of its output are the hash.
 *
 * The whole input is in memory (cairn reads small files in one go), so the tree is built
 * with a stack of subtree chaining values: every chunk but the last is pushed and merged
 * with its completed neighbours at once; the last chunk then folds the stack from the top.
 * The compression keeps its sixteen state words in locals, so compilers hold them in
 * registers and schedule the four independent G calls of each half-round together; whole
 * chunks before the last are compressed B3_LANES at a time (b3_chunks) in the compiler's
 * generic vector types (no intrinsics; one chunk per call where they are unavailable or
 * B3_NO_VECTORS is defined).
 */
#ifndef CAIRN_BLAKE3_PORTABLE_H
#define CAIRN_BLAKE3_PORTABLE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define B3_OUT_LEN 32
#define B3_BLOCK_LEN 64
#define B3_CHUNK_LEN 1024
#define B3_MAX_DEPTH 54 /* 2^54 chunks = 2^64 bytes */

enum {
    B3_CHUNK_START = 1,
    B3_CHUNK_END = 2,
    B3_PARENT = 4,
    B3_ROOT = 8,
};

static const uint32_t b3_iv[8] = {
    0x6A09E667u, 0xBB67AE85u, 0x3C6EF372u, 0xA54FF53Au,
    0x510E527Fu, 0x9B05688Cu, 0x1F83D9ABu, 0x5BE0CD19u,
};

/* The message word order of each of the seven rounds (the spec's permutation applied
 * round after round to 0..15). */
static const uint8_t b3_schedule[7][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8},
    {3, 4, 10, 12, 13, 2, 7, 14, 6, 5, 9, 0, 11, 15, 8, 1},
    {10, 7, 12, 9, 14, 3, 13, 15, 4, 0, 11, 2, 5, 8, 1, 6},
    {12, 13, 9, 11, 15, 10, 14, 8, 7, 2, 5, 3, 0, 1, 6, 4},
    {9, 14, 11, 5, 8, 12, 15, 1, 13, 3, 0, 10, 2, 6, 4, 7},
    {11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13},
};

static inline uint32_t b3_rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static inline uint32_t b3_load32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static inline void b3_store32(uint8_t *p, uint32_t x) {
    p[0] = (uint8_t)x;
    p[1] = (uint8_t)(x >> 8);
    p[2] = (uint8_t)(x >> 16);
    p[3] = (uint8_t)(x >> 24);
}

#define B3_G(a, b, c, d, x, y)          \
    do {                                \
        a = a + b + (x);                \
        d = b3_rotr(d ^ a, 16);         \
        c = c + d;                      \
        b = b3_rotr(b ^ c, 12);         \
        a = a + b + (y);                \
        d = b3_rotr(d ^ a, 8);          \
        c = c + d;                      \
        b = b3_rotr(b ^ c, 7);          \
    } while (0)

/* Compress one 64-byte block into cv (in place): the first eight output words, which is the
 * chaining value of a non-root node and the 32-byte hash of a root node. */
static void b3_compress(uint32_t cv[8], const uint8_t block[B3_BLOCK_LEN], uint64_t counter,
                        uint32_t block_len, uint32_t flags) {
    uint32_t m[16];
    for (int i = 0; i < 16; i++)
        m[i] = b3_load32(block + 4 * i);
    uint32_t v0 = cv[0], v1 = cv[1], v2 = cv[2], v3 = cv[3];
    uint32_t v4 = cv[4], v5 = cv[5], v6 = cv[6], v7 = cv[7];
    uint32_t v8 = b3_iv[0], v9 = b3_iv[1], v10 = b3_iv[2], v11 = b3_iv[3];
    uint32_t v12 = (uint32_t)counter, v13 = (uint32_t)(counter >> 32);
    uint32_t v14 = block_len, v15 = flags;
    for (int r = 0; r < 7; r++) {
        const uint8_t *s = b3_schedule[r];
        B3_G(v0, v4, v8, v12, m[s[0]], m[s[1]]);
        B3_G(v1, v5, v9, v13, m[s[2]], m[s[3]]);
        B3_G(v2, v6, v10, v14, m[s[4]], m[s[5]]);
        B3_G(v3, v7, v11, v15, m[s[6]], m[s[7]]);
        B3_G(v0, v5, v10, v15, m[s[8]], m[s[9]]);
        B3_G(v1, v6, v11, v12, m[s[10]], m[s[11]]);
        B3_G(v2, v7, v8, v13, m[s[12]], m[s[13]]);
        B3_G(v3, v4, v9, v14, m[s[14]], m[s[15]]);
    }
    cv[0] = v0 ^ v8;
    cv[1] = v1 ^ v9;
    cv[2] = v2 ^ v10;
    cv[3] = v3 ^ v11;
    cv[4] = v4 ^ v12;
    cv[5] = v5 ^ v13;
    cv[6] = v6 ^ v14;
    cv[7] = v7 ^ v15;
}

/* The chaining value of one chunk (len <= 1024; 0 only for the empty input), or with
 * B3_ROOT in root_flag the hash words when it is the only chunk. */
static void b3_chunk(uint32_t cv[8], const uint8_t *in, size_t len, uint64_t index,
                     uint32_t root_flag) {
    memcpy(cv, b3_iv, sizeof b3_iv);
    size_t blocks = len ? (len + B3_BLOCK_LEN - 1) / B3_BLOCK_LEN : 1;
    for (size_t j = 0; j < blocks; j++) {
        uint32_t flags = j == 0 ? B3_CHUNK_START : 0;
        size_t take = B3_BLOCK_LEN;
        if (j + 1 == blocks) {
            flags |= B3_CHUNK_END | root_flag;
            take = len - j * B3_BLOCK_LEN;
        }
        if (take == B3_BLOCK_LEN) {
            b3_compress(cv, in + j * B3_BLOCK_LEN, index, B3_BLOCK_LEN, flags);
        } else { /* the last, partial block: zero padded */
            uint8_t block[B3_BLOCK_LEN] = {0};
            memcpy(block, in + j * B3_BLOCK_LEN, take);
            b3_compress(cv, block, index, (uint32_t)take, flags);
        }
    }
}

/* A parent node from its children's chaining values: right is replaced by the parent's. */
static void b3_parent(const uint32_t left[8], uint32_t right[8], uint32_t flags) {
    uint8_t block[B3_BLOCK_LEN];
    for (int i = 0; i < 8; i++) {
        b3_store32(block + 4 * i, left[i]);
        b3_store32(block + 32 + 4 * i, right[i]);
    }
    memcpy(right, b3_iv, sizeof b3_iv);
    b3_compress(right, block, 0, B3_BLOCK_LEN, B3_PARENT | flags);
}

/* Several whole chunks side by side: each state word is a vector of B3_LANES words, one per
 * chunk, so one vector instruction steps all of them (GCC and Clang vector types, SSE2 or
 * NEON at least); other compilers compress the chunks one by one. */
#define B3_LANES 4
#if defined(__GNUC__) && !defined(B3_NO_VECTORS)
typedef uint32_t b3_vec __attribute__((vector_size(4 * B3_LANES)));

#define B3_ROTR_VEC(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define B3_G_VEC(a, b, c, d, x, y)         \
    do {                                   \
        a = a + b + (x);                   \
        d = B3_ROTR_VEC(d ^ a, 16);        \
        c = c + d;                         \
        b = B3_ROTR_VEC(b ^ c, 12);        \
        a = a + b + (y);                   \
        d = B3_ROTR_VEC(d ^ a, 8);         \
        c = c + d;                         \
        b = B3_ROTR_VEC(b ^ c, 7);         \
    } while (0)

/* The chaining values of `lanes` (1..B3_LANES) whole, non-root chunks starting at in, the
 * first with chunk index `index`: cvs[l] for chunk index + l. */
static void b3_chunks(const uint8_t *in, int lanes, uint64_t index, uint32_t cvs[][8]) {
    b3_vec h[8], m[16], counter_lo, counter_hi;
    const uint8_t *at[B3_LANES];
    for (int l = 0; l < B3_LANES; l++) { /* lanes past `lanes` repeat the first chunk */
        at[l] = in + (l < lanes ? l : 0) * B3_CHUNK_LEN;
        counter_lo[l] = (uint32_t)(index + (uint64_t)l);
        counter_hi[l] = (uint32_t)((index + (uint64_t)l) >> 32);
    }
    const b3_vec zero = {0};
    for (int w = 0; w < 8; w++)
        h[w] = zero + b3_iv[w];
    for (int j = 0; j < B3_CHUNK_LEN / B3_BLOCK_LEN; j++) {
        uint32_t flags = (j == 0 ? B3_CHUNK_START : 0) | (j == 15 ? B3_CHUNK_END : 0);
        for (int w = 0; w < 16; w++)
            for (int l = 0; l < B3_LANES; l++)
                m[w][l] = b3_load32(at[l] + j * B3_BLOCK_LEN + 4 * w);
        b3_vec v0 = h[0], v1 = h[1], v2 = h[2], v3 = h[3], v4 = h[4], v5 = h[5], v6 = h[6],
               v7 = h[7], v12 = counter_lo, v13 = counter_hi;
        b3_vec v8 = zero + b3_iv[0], v9 = zero + b3_iv[1], v10 = zero + b3_iv[2],
               v11 = zero + b3_iv[3], v14 = zero + B3_BLOCK_LEN, v15 = zero + flags;
        for (int r = 0; r < 7; r++) {
            B3_G_VEC(v0, v4, v8, v12, m[0], m[1]);
            B3_G_VEC(v1, v5, v9, v13, m[2], m[3]);
            B3_G_VEC(v2, v6, v10, v14, m[4], m[5]);
            B3_G_VEC(v3, v7, v11, v15, m[6], m[7]);
            B3_G_VEC(v0, v5, v10, v15, m[8], m[9]);
            B3_G_VEC(v1, v6, v11, v12, m[10], m[11]);
            B3_G_VEC(v2, v7, v8, v13, m[12], m[13]);
            B3_G_VEC(v3, v4, v9, v14, m[14], m[15]);
            b3_vec p[16]; /* the spec's message permutation, between rounds */
            for (int w = 0; w < 16; w++)
                p[w] = m[b3_schedule[1][w]];
            memcpy(m, p, sizeof p);
        }
        h[0] = v0 ^ v8, h[1] = v1 ^ v9, h[2] = v2 ^ v10, h[3] = v3 ^ v11;
        h[4] = v4 ^ v12, h[5] = v5 ^ v13, h[6] = v6 ^ v14, h[7] = v7 ^ v15;
    }
    for (int l = 0; l < lanes; l++)
        for (int w = 0; w < 8; w++)
            cvs[l][w] = h[w][l];
}
#else
static void b3_chunks(const uint8_t *in, int lanes, uint64_t index, uint32_t cvs[][8]) {
    for (int l = 0; l < lanes; l++)
        b3_chunk(cvs[l], in + l * B3_CHUNK_LEN, B3_CHUNK_LEN, index + (uint64_t)l, 0);
}
#endif

/* Push the chaining value of chunk `index` (not the last), merging every subtree it
 * completes (one per trailing zero bit of the count of chunks done). */
static void b3_push(uint32_t stack[][8], int *depth, uint32_t cv[8], uint64_t index) {
    for (uint64_t done = index + 1; (done & 1) == 0; done >>= 1)
        b3_parent(stack[--*depth], cv, 0);
    memcpy(stack[(*depth)++], cv, 8 * sizeof(uint32_t));
}

/* The 32-byte BLAKE3 hash of in[0..len). */
static void b3_hash(const uint8_t *in, size_t len, uint8_t out[B3_OUT_LEN]) {
    uint32_t stack[B3_MAX_DEPTH][8];
    int depth = 0;
    uint64_t chunks = len ? (len + B3_CHUNK_LEN - 1) / B3_CHUNK_LEN : 1;
    uint32_t cv[8], cvs[B3_LANES][8];
    uint64_t i = 0;
    /* every chunk but the last, B3_LANES at a time, then the rest one by one */
    for (; i + B3_LANES < chunks; i += B3_LANES) {
        b3_chunks(in + i * B3_CHUNK_LEN, B3_LANES, i, cvs);
        for (int l = 0; l < B3_LANES; l++)
            b3_push(stack, &depth, cvs[l], i + (uint64_t)l);
    }
    if (i + 1 < chunks) { /* one chunk alone is cheaper outside the lanes */
        int lanes = (int)(chunks - 1 - i);
        if (lanes == 1)
            b3_chunk(cvs[0], in + i * B3_CHUNK_LEN, B3_CHUNK_LEN, i, 0);
        else
            b3_chunks(in + i * B3_CHUNK_LEN, lanes, i, cvs);
        for (int l = 0; l < lanes; l++)
            b3_push(stack, &depth, cvs[l], i + (uint64_t)l);
    }
    uint64_t last = chunks - 1;
    b3_chunk(cv, in + last * B3_CHUNK_LEN, len - last * B3_CHUNK_LEN, last,
             depth == 0 ? B3_ROOT : 0);
    while (depth > 0) {
        depth--;
        b3_parent(stack[depth], cv, depth == 0 ? B3_ROOT : 0);
    }
    for (int i = 0; i < 8; i++)
        b3_store32(out + 4 * i, cv[i]);
}

#endif
