/* cairn.objects._faststore: the per-file loops of ObjectDB.store_files and store_blobs, of
 * checkout's copying of small objects (cairn.data.materialize) and of reading objects for a
 * pack (ObjectDB.read_many), in C.
 *
 * `cairn data add` of many small files spent nine tenths of its time in Python around the
 * system calls of ObjectDB.store_file (open, read, hash, stat, create, write, rename). This
 * module runs the same steps for a whole batch in threads without the GIL, hashing with the
 * portable BLAKE3 of _blake3_portable.h (equal to the blake3 package's, as tested), and
 * leaves to Python what it does not handle itself: files that are not regular or bigger
 * than max_size, and turning an errno into the exception the Python loop would raise.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "_blake3_portable.h"

#define OID_LEN 64
#define TMP_MODE 0444
/* made[] values: the prefix folder's state as far as this ObjectDB knows. */
#define FOLDER_UNKNOWN 0
#define FOLDER_EXISTS 1
#define FOLDER_OURS 2 /* made by this ObjectDB: it holds only objects linked without replacing */

enum { DONE, FALLBACK, FAILED, SKIPPED, MISMATCH };

typedef struct {
    const char *src;      /* the file to store (owned by the Python bytes object) */
    const unsigned char *bytes; /* or the bytes to store (store_blobs), len of them */
    size_t len;
    const char *expected; /* its oid when the caller knows it, else NULL */
    char oid[OID_LEN + 1];
    int outcome, written, err;
    long long size;       /* bytes read; -1 when the object was present and src not read */
    long long offset;     /* pack_files: where the bytes went in the pack */
    char *failed;         /* the path an error is about (malloc'd; NULL: src) */
} Item;

typedef struct Batch Batch;
/* One item's work: (batch, item, index, read buffer, its capacity, path room, tmp room). */
typedef void (*ItemFn)(Batch *, Item *, Py_ssize_t, unsigned char **, size_t *, char *, char *);

struct Batch {
    ItemFn one;
    const char *root, *token;
    size_t root_len, token_len;
    Item *items;
    Py_ssize_t count;
    long long max_size;
    Py_ssize_t next; /* the next unclaimed item (atomic) */
    int stop;        /* set (atomic) after an error: later items are skipped */
    int no_tmpfile;  /* set (atomic) once the filesystem refused O_TMPFILE */
    unsigned char *made; /* [256]: FOLDER_* of each prefix folder (shared with the caller) */
    int pack_fd;         /* pack_files: the pack being written */
    long long pack_end;  /* pack_files: the end of the bytes claimed so far (atomic) */
};

/* Whether new files may be written unnamed (O_TMPFILE) and linked into place; off, every
 * write takes the named temporary file path, as on a filesystem without O_TMPFILE (tests
 * switch it off through use_unnamed to cover that path). */
static int unnamed_allowed = 1;

static void hex_of(const uint8_t digest[B3_OUT_LEN], char out[OID_LEN + 1]) {
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < B3_OUT_LEN; i++) {
        out[2 * i] = digits[digest[i] >> 4];
        out[2 * i + 1] = digits[digest[i] & 15];
    }
    out[OID_LEN] = '\0';
}

static int hex_value(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void fail(Item *item, int err, const char *path) {
    item->outcome = FAILED;
    item->err = err;
    item->failed = path ? strdup(path) : NULL;
}

/* Read all of fd into *buffer (grown as needed, like Python's readall); -1 on error. A
 * short read that brings exactly the `size` fstat gave is the end of a regular file (it
 * returns fewer bytes than asked only there), which saves the read that would return 0. */
static long long read_all(int fd, long long size, unsigned char **buffer, size_t *cap) {
    size_t len = 0;
    long long hint = size;
    for (;;) {
        size_t want = len + (size_t)hint + 1;
        if (want > *cap || len == *cap) {
            size_t grown = *cap > want ? *cap * 2 : want;
            unsigned char *bigger = realloc(*buffer, grown);
            if (bigger == NULL) {
                errno = ENOMEM;
                return -1;
            }
            *buffer = bigger;
            *cap = grown;
        }
        ssize_t got = read(fd, *buffer + len, *cap - len);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (got == 0)
            return (long long)len;
        size_t asked = *cap - len;
        len += (size_t)got;
        if ((size_t)got < asked && (long long)len == size)
            return (long long)len;
        hint = 0;
    }
}

/* Read the whole regular file at path into *buffer: 0 with its length in *len; 1 when it is
 * not a regular file or bigger than max_size (left to Python); -1 with errno on an error. */
static int read_file(const char *path, long long max_size, unsigned char **buffer, size_t *cap,
                     long long *len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    int outcome = 0;
    if (fstat(fd, &st) != 0)
        outcome = -1;
    else if (!S_ISREG(st.st_mode) || st.st_size > max_size)
        outcome = 1;
    else if ((*len = read_all(fd, (long long)st.st_size, buffer, cap)) < 0)
        outcome = -1;
    int err = errno;
    close(fd);
    errno = err;
    return outcome;
}

/* Read len bytes at offset of the file at path into *buffer: 0, or -1 with errno (ENOENT
 * when the file ends before them: the object is not there). */
static int read_range(const char *path, long long offset, long long len, unsigned char **buffer,
                      size_t *cap) {
    if ((size_t)len + 1 > *cap) {
        unsigned char *bigger = realloc(*buffer, (size_t)len + 1);
        if (bigger == NULL) {
            errno = ENOMEM;
            return -1;
        }
        *buffer = bigger;
        *cap = (size_t)len + 1;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    long long done = 0;
    while (done < len) {
        ssize_t got = pread(fd, *buffer + done, (size_t)(len - done), offset + done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            int err = got < 0 ? errno : ENOENT;
            close(fd);
            errno = err;
            return -1;
        }
        done += got;
    }
    close(fd);
    return 0;
}

static int write_all(int fd, const unsigned char *data, size_t len) {
    while (len > 0) {
        ssize_t put = write(fd, data, len);
        if (put < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += put;
        len -= (size_t)put;
    }
    return 0;
}

/* The object's path into final ("<root>/<oid[:2]>/<oid[2:]>"); its folder's length. */
static size_t final_path(const Batch *batch, const char *oid, char *final) {
    memcpy(final, batch->root, batch->root_len);
    char *at = final + batch->root_len;
    *at++ = '/';
    *at++ = oid[0];
    *at++ = oid[1];
    *at = '/';
    memcpy(at + 1, oid + 2, OID_LEN - 2 + 1);
    return batch->root_len + 3;
}

static int slot_of(const char *oid) { return hex_value(oid[0]) * 16 + hex_value(oid[1]); }

static int ensure_folder(Batch *batch, const char *oid, char *final, size_t folder_len) {
    int slot = slot_of(oid);
    if (__atomic_load_n(&batch->made[slot], __ATOMIC_RELAXED))
        return 0;
    final[folder_len] = '\0';
    int status = mkdir(final, 0777), err = errno;
    struct stat st;
    if (status != 0 && err == EEXIST && (stat(final, &st) != 0 || !S_ISDIR(st.st_mode)))
        status = -2; /* as Path.mkdir(exist_ok=True): only a folder may be there */
    final[folder_len] = '/';
    if (status != 0 && (err != EEXIST || status == -2)) {
        errno = err;
        return -1;
    }
    __atomic_store_n(&batch->made[slot], status == 0 ? FOLDER_OURS : FOLDER_EXISTS,
                     __ATOMIC_RELAXED);
    return 0;
}

/* Whether the object at final is present: any entry counts, except a regular file of
 * another size than len, torn by a power cut before write-back, which is to be replaced. */
static int present(const char *final, size_t len) {
    struct stat st;
    return stat(final, &st) == 0 && (!S_ISREG(st.st_mode) || st.st_size == (off_t)len);
}

/* Install the object as an unnamed file (O_TMPFILE) that is written whole and then linked
 * at final. linkat never replaces an entry, so this also tells whether the object was
 * present. 1: installed; 0: present already; -1: not done, the caller falls back to a
 * named temporary file (O_TMPFILE or linking unsupported, or an error it will meet too). */
static int install_unnamed(Batch *batch, const unsigned char *data, size_t len, char *final,
                           size_t folder_len) {
#ifdef O_TMPFILE
    if (__atomic_load_n(&batch->no_tmpfile, __ATOMIC_RELAXED))
        return -1;
    final[folder_len] = '\0';
    int fd = open(final, O_TMPFILE | O_WRONLY | O_CLOEXEC, TMP_MODE);
    final[folder_len] = '/';
    if (fd < 0) {
        if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)
            __atomic_store_n(&batch->no_tmpfile, 1, __ATOMIC_RELAXED);
        return -1;
    }
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    int linked = write_all(fd, data, len) == 0 ? linkat(AT_FDCWD, proc, AT_FDCWD, final,
                                                        AT_SYMLINK_FOLLOW) : -1;
    int err = errno;
    close(fd); /* an unlinked file vanishes here */
    if (linked == 0)
        return 1;
    if (err == EEXIST && present(final, len))
        return 0;
    if (err == ENOENT) /* no /proc: link the named way from now on */
        __atomic_store_n(&batch->no_tmpfile, 1, __ATOMIC_RELAXED);
#else
    (void)batch, (void)data, (void)len, (void)final, (void)folder_len;
#endif
    return -1;
}

/* Write data to a new temporary file and put it at final: unnamed and linked where the
 * filesystem allows, else named beside final and renamed into place. */
static void install(Batch *batch, Item *item, Py_ssize_t index, const unsigned char *data,
                    size_t len, char *final, size_t folder_len, char *tmp) {
    if (ensure_folder(batch, item->oid, final, folder_len) != 0) {
        final[folder_len] = '\0';
        fail(item, errno, final);
        return;
    }
    int unnamed = install_unnamed(batch, data, len, final, folder_len);
    if (unnamed >= 0) {
        item->written = unnamed;
        item->outcome = DONE;
        return;
    }
    snprintf(tmp, batch->root_len + OID_LEN + batch->token_len + 48, "%s.%s%zd.tmp", final,
             batch->token, index);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, TMP_MODE);
    if (fd < 0) {
        fail(item, errno, tmp);
        return;
    }
    if (write_all(fd, data, len) != 0) {
        fail(item, errno, tmp);
        close(fd);
        unlink(tmp);
        return;
    }
    if (close(fd) != 0) {
        fail(item, errno, tmp);
        unlink(tmp);
        return;
    }
    if (rename(tmp, final) != 0) {
        fail(item, errno, final);
        unlink(tmp);
        return;
    }
    item->written = 1;
    item->outcome = DONE;
}

/* Read item->src whole into *buffer; 0 (the outcome set: FALLBACK or FAILED) when it could
 * not be, or is not for the C loop. */
static int load_item(Batch *batch, Item *item, unsigned char **buffer, size_t *cap,
                     long long *len) {
    int loaded = read_file(item->src, batch->max_size, buffer, cap, len);
    if (loaded > 0)
        item->outcome = FALLBACK;
    else if (loaded < 0)
        fail(item, errno, NULL);
    return loaded == 0;
}

static void store_one(Batch *batch, Item *item, Py_ssize_t index, unsigned char **buffer,
                      size_t *cap, char *final, char *tmp) {
    struct stat st;
    if (item->expected != NULL) { /* as store_file(src, oid): present means done */
        memcpy(item->oid, item->expected, OID_LEN + 1);
        final_path(batch, item->oid, final);
        if (stat(final, &st) == 0 && S_ISREG(st.st_mode)) {
            item->size = -1;
            item->outcome = DONE;
            return;
        }
    }
    long long len = 0;
    if (!load_item(batch, item, buffer, cap, &len))
        return;
    item->size = len;
    if (item->expected == NULL) {
        uint8_t digest[B3_OUT_LEN];
        b3_hash(*buffer, (size_t)len, digest);
        hex_of(digest, item->oid);
    }
    size_t folder_len = final_path(batch, item->oid, final);
    /* As store_bytes: any entry counts as present, except a torn one. A folder this ObjectDB
     * made holds no object it did not link itself, so there the link tells instead. */
    int ours = __atomic_load_n(&batch->made[slot_of(item->oid)], __ATOMIC_RELAXED) == FOLDER_OURS &&
               !__atomic_load_n(&batch->no_tmpfile, __ATOMIC_RELAXED);
    if (item->expected == NULL && !ours && present(final, (size_t)len)) {
        item->outcome = DONE;
        return;
    }
    install(batch, item, index, *buffer, (size_t)len, final, folder_len, tmp);
}

/* Whether a blob item's bytes hash to its expected oid (item->oid: what they hash to). */
static int blob_matches(Item *item) {
    uint8_t digest[B3_OUT_LEN];
    b3_hash(item->bytes, item->len, digest);
    hex_of(digest, item->oid);
    return memcmp(item->oid, item->expected, OID_LEN) == 0;
}

/* store_blobs' item: bytes already in memory, checked against the oid they should have. */
static void store_blob(Batch *batch, Item *item, Py_ssize_t index, unsigned char **buffer,
                       size_t *cap, char *final, char *tmp) {
    (void)buffer, (void)cap;
    if (!blob_matches(item)) {
        item->outcome = MISMATCH;
        return;
    }
    size_t folder_len = final_path(batch, item->oid, final);
    int ours = __atomic_load_n(&batch->made[slot_of(item->oid)], __ATOMIC_RELAXED) == FOLDER_OURS &&
               !__atomic_load_n(&batch->no_tmpfile, __ATOMIC_RELAXED);
    if (!ours && present(final, item->len)) {
        item->outcome = DONE;
        return;
    }
    install(batch, item, index, item->bytes, item->len, final, folder_len, tmp);
}

/* check_blobs' item: only the check. */
static void check_blob(Batch *batch, Item *item, Py_ssize_t index, unsigned char **buffer,
                       size_t *cap, char *final, char *tmp) {
    (void)batch, (void)index, (void)buffer, (void)cap, (void)final, (void)tmp;
    item->outcome = blob_matches(item) ? DONE : MISMATCH;
}

/* pack_files' item: the file read whole, hashed (unless its oid is known) and written at
 * the end of the pack claimed for it, so threads append without a lock. */
static void pack_one(Batch *batch, Item *item, Py_ssize_t index, unsigned char **buffer,
                     size_t *cap, char *final, char *tmp) {
    (void)index, (void)final, (void)tmp;
    long long len = 0;
    if (!load_item(batch, item, buffer, cap, &len))
        return;
    if (item->expected != NULL)
        memcpy(item->oid, item->expected, OID_LEN + 1);
    else {
        uint8_t digest[B3_OUT_LEN];
        b3_hash(*buffer, (size_t)len, digest);
        hex_of(digest, item->oid);
    }
    long long at = __atomic_fetch_add(&batch->pack_end, len, __ATOMIC_RELAXED);
    for (long long done = 0; done < len;) {
        ssize_t wrote = pwrite(batch->pack_fd, *buffer + done, (size_t)(len - done), at + done);
        if (wrote < 0 && errno == EINTR)
            continue;
        if (wrote <= 0) {
            fail(item, wrote < 0 ? errno : EIO, "");
            return;
        }
        done += wrote;
    }
    item->size = len;
    item->offset = at;
    item->outcome = DONE;
}

static void *worker(void *arg) {
    Batch *batch = arg;
    size_t room = batch->root_len + OID_LEN + batch->token_len + 48;
    char *final = malloc(room), *tmp = malloc(room);
    unsigned char *buffer = NULL;
    size_t cap = 0;
    for (;;) {
        Py_ssize_t i = __atomic_fetch_add(&batch->next, 1, __ATOMIC_RELAXED);
        if (i >= batch->count)
            break;
        Item *item = &batch->items[i];
        if (__atomic_load_n(&batch->stop, __ATOMIC_RELAXED) || final == NULL || tmp == NULL) {
            item->outcome = final && tmp ? SKIPPED : FAILED;
            item->err = ENOMEM;
            continue;
        }
        batch->one(batch, item, i, &buffer, &cap, final, tmp);
        if (item->outcome == FAILED)
            __atomic_store_n(&batch->stop, 1, __ATOMIC_RELAXED);
    }
    free(buffer);
    free(final);
    free(tmp);
    return NULL;
}

/* fn(arg) in `threads` threads (at most one per item), this one among them. */
static void run(void *(*fn)(void *), void *arg, int threads, Py_ssize_t count) {
    if (threads > count)
        threads = (int)count;
    pthread_t *ids = threads > 1 ? malloc(sizeof(pthread_t) * (size_t)threads) : NULL;
    int started = 0;
    if (ids != NULL)
        for (; started < threads - 1; started++) /* this thread is the last worker */
            if (pthread_create(&ids[started], NULL, fn, arg) != 0)
                break;
    fn(arg);
    for (int i = 0; i < started; i++)
        pthread_join(ids[i], NULL);
    free(ids);
}

/* The text of oid when it is a str of 64 lowercase hex digits, else NULL. */
static const char *oid_text(PyObject *oid) {
    Py_ssize_t size = 0;
    const char *text = PyUnicode_Check(oid) ? PyUnicode_AsUTF8AndSize(oid, &size) : NULL;
    int good = text != NULL && size == OID_LEN;
    for (Py_ssize_t k = 0; good && k < OID_LEN; k++)
        good = hex_value(text[k]) >= 0;
    PyErr_Clear(); /* (a str that is not UTF-8 is simply not an oid) */
    return good ? text : NULL;
}

/* sources[i], when sources is a list: None (0: the loose object), or (pack path, offset,
 * size) of a small object, whose path is kept alive in encoded (1); -1 with an exception. */
static int pack_source(PyObject *sources, Py_ssize_t i, PyObject *encoded, long long max_size,
                       const char **pack, long long *offset, long long *len) {
    PyObject *source = sources == Py_None ? Py_None : PyList_GET_ITEM(sources, i);
    if (source == Py_None)
        return 0;
    PyObject *path = NULL;
    if (!PyTuple_Check(source) ||
        !PyArg_ParseTuple(source, "O&LL", PyUnicode_FSConverter, &path, offset, len)) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_TypeError, "sources[%zd] must be None or (path, offset, size)", i);
        return -1;
    }
    int failed = PyList_Append(encoded, path);
    Py_DECREF(path);
    if (failed)
        return -1;
    if (*offset < 0 || *len < 0 || *len > max_size) {
        PyErr_Format(PyExc_ValueError, "sources[%zd] is not a small object's range", i);
        return -1;
    }
    *pack = PyBytes_AS_STRING(path);
    return 1;
}

/* [fn(items, i, extra) for i in range(count)], or NULL with an exception set. */
static PyObject *list_of(Py_ssize_t count, PyObject *(*fn)(void *, Py_ssize_t, void *),
                         void *items, void *extra) {
    PyObject *results = PyList_New(count);
    for (Py_ssize_t i = 0; results != NULL && i < count; i++) {
        PyObject *one = fn(items, i, extra);
        if (one == NULL)
            Py_CLEAR(results);
        else
            PyList_SET_ITEM(results, i, one);
    }
    return results;
}

/* work(batch) in `threads` threads without the GIL, then [result(items, i, extra) for i]. */
static PyObject *run_then_list(void *(*work)(void *), void *batch, int threads, Py_ssize_t count,
                               PyObject *(*result)(void *, Py_ssize_t, void *), void *items,
                               void *extra) {
    Py_BEGIN_ALLOW_THREADS
    run(work, batch, threads < 1 ? 1 : threads, count);
    Py_END_ALLOW_THREADS
    return list_of(count, result, items, extra);
}

static PyObject *stored_result(void *items, Py_ssize_t i, void *paths) {
    Item *item = (Item *)items + i;
    PyObject *src = PyList_GET_ITEM((PyObject *)paths, i);
    switch (item->outcome) {
    case DONE:
        return Py_BuildValue("(sOL)", item->oid, item->written ? Py_True : Py_False,
                             item->size);
    case FAILED:
        if (item->failed == NULL)
            return Py_BuildValue("(OiO)", Py_None, item->err, src);
        return Py_BuildValue("(OiN)", Py_None, item->err,
                             PyUnicode_DecodeFSDefault(item->failed));
    default:
        return Py_BuildValue("(OOO)", Py_None, item->outcome == SKIPPED ? Py_False : Py_True,
                             Py_None);
    }
}

/* Fill batch->items from paths (a list of str) and expected (None, or a list of oid | None as
 * long), run batch->one over them in `threads` threads without the GIL and free the items:
 * [result(items, i, paths) for each i], or NULL with an exception set. */
static PyObject *run_files(Batch *batch, PyObject *paths, PyObject *expected, int threads,
                           PyObject *(*result)(void *, Py_ssize_t, void *)) {
    Py_ssize_t count = PyList_GET_SIZE(paths);
    if (expected != Py_None && (!PyList_Check(expected) || PyList_GET_SIZE(expected) != count)) {
        PyErr_SetString(PyExc_ValueError, "expected must be None or a list as long as paths");
        return NULL;
    }
    batch->count = count;
    batch->items = PyMem_Calloc(count ? (size_t)count : 1, sizeof(Item));
    PyObject *encoded = PyList_New(0), *results = NULL;
    if (batch->items == NULL || encoded == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *bytes = NULL;
        if (!PyUnicode_FSConverter(PyList_GET_ITEM(paths, i), &bytes))
            goto done;
        int failed = PyList_Append(encoded, bytes);
        Py_DECREF(bytes); /* the list keeps it (and so its buffer) alive */
        if (failed)
            goto done;
        batch->items[i].src = PyBytes_AS_STRING(bytes);
        PyObject *oid = expected == Py_None ? Py_None : PyList_GET_ITEM(expected, i);
        if (oid == Py_None)
            continue;
        batch->items[i].expected = oid_text(oid);
        if (batch->items[i].expected == NULL) {
            PyErr_Format(PyExc_ValueError, "expected[%zd] is not a 64-digit lowercase oid", i);
            goto done;
        }
    }
    results = run_then_list(worker, batch, threads, count, result, batch->items, paths);
done:
    for (Py_ssize_t i = 0; batch->items != NULL && i < count; i++)
        free(batch->items[i].failed);
    PyMem_Free(batch->items);
    Py_XDECREF(encoded);
    return results;
}

static PyObject *store_files(PyObject *self, PyObject *args) {
    const char *root, *token;
    Py_ssize_t root_len, token_len;
    PyObject *paths, *expected;
    int threads;
    long long max_size;
    Py_buffer made;
    if (!PyArg_ParseTuple(args, "s#s#O!OiLw*", &root, &root_len, &token, &token_len,
                          &PyList_Type, &paths, &expected, &threads, &max_size, &made))
        return NULL;
    if (made.len != 256) {
        PyBuffer_Release(&made);
        PyErr_SetString(PyExc_ValueError, "made must be a bytearray of 256 bytes");
        return NULL;
    }
    Batch batch = {.one = store_one, .no_tmpfile = !unnamed_allowed, .root = root, .token = token,
                   .root_len = (size_t)root_len, .token_len = (size_t)token_len,
                   .max_size = max_size, .made = made.buf};
    PyObject *results = run_files(&batch, paths, expected, threads, stored_result);
    PyBuffer_Release(&made);
    return results;
}

static PyObject *blob_result(void *items, Py_ssize_t i, void *unused) {
    (void)unused;
    Item *item = (Item *)items + i;
    if (item->outcome == DONE)
        return Py_BuildValue("(OO)", item->written ? Py_True : Py_False, Py_None);
    if (item->outcome == MISMATCH)
        return Py_BuildValue("(Os)", Py_None, item->oid);
    if (item->outcome == FAILED)
        return Py_BuildValue("(OiN)", Py_None, item->err,
                             PyUnicode_DecodeFSDefault(item->failed ? item->failed : ""));
    return Py_BuildValue("(OO)", Py_None, Py_None); /* skipped after a failure */
}

/* Fill batch->items with the ranges of data (oids, offsets and lengths: lists as long), run
 * batch->one over them in `threads` threads without the GIL and free the items:
 * [result(items, i, NULL) for each i], or NULL with an exception set. */
static PyObject *run_blobs(Batch *batch, Py_buffer *data, PyObject *oids, PyObject *offsets,
                           PyObject *lengths, int threads,
                           PyObject *(*result)(void *, Py_ssize_t, void *)) {
    Py_ssize_t count = PyList_GET_SIZE(oids);
    PyObject *results = NULL;
    batch->count = count;
    batch->items = NULL;
    if (PyList_GET_SIZE(offsets) != count || PyList_GET_SIZE(lengths) != count) {
        PyErr_SetString(PyExc_ValueError, "oids, offsets and lengths must be equally long");
        return NULL;
    }
    batch->items = PyMem_Calloc(count ? (size_t)count : 1, sizeof(Item));
    if (batch->items == NULL)
        return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < count; i++) {
        const char *text = oid_text(PyList_GET_ITEM(oids, i));
        long long offset = PyLong_AsLongLong(PyList_GET_ITEM(offsets, i));
        long long length = PyLong_AsLongLong(PyList_GET_ITEM(lengths, i));
        if (PyErr_Occurred())
            goto done;
        if (text == NULL || offset < 0 || length < 0 || offset + length > (long long)data->len) {
            PyErr_Format(PyExc_ValueError, "item %zd: a 64-digit lowercase oid and a range inside "
                                           "data are needed", i);
            goto done;
        }
        batch->items[i].expected = text;
        batch->items[i].bytes = (const unsigned char *)data->buf + offset;
        batch->items[i].len = (size_t)length;
    }
    results = run_then_list(worker, batch, threads, count, result, batch->items, NULL);
done:
    for (Py_ssize_t i = 0; i < count; i++)
        free(batch->items[i].failed);
    PyMem_Free(batch->items);
    return results;
}

static PyObject *store_blobs(PyObject *self, PyObject *args) {
    (void)self;
    const char *root, *token;
    Py_ssize_t root_len, token_len;
    Py_buffer data, made;
    PyObject *oids, *offsets, *lengths, *results = NULL;
    int threads;
    if (!PyArg_ParseTuple(args, "s#s#y*O!O!O!iw*", &root, &root_len, &token, &token_len, &data,
                          &PyList_Type, &oids, &PyList_Type, &offsets, &PyList_Type, &lengths,
                          &threads, &made))
        return NULL;
    if (made.len != 256)
        PyErr_SetString(PyExc_ValueError, "made must be a bytearray of 256 bytes");
    else {
        Batch batch = {.one = store_blob, .no_tmpfile = !unnamed_allowed, .root = root,
                       .token = token, .root_len = (size_t)root_len,
                       .token_len = (size_t)token_len, .made = made.buf};
        results = run_blobs(&batch, &data, oids, offsets, lengths, threads, blob_result);
    }
    PyBuffer_Release(&data);
    PyBuffer_Release(&made);
    return results;
}

static PyObject *checked_result(void *items, Py_ssize_t i, void *unused) {
    (void)unused;
    Item *item = (Item *)items + i;
    if (item->outcome == MISMATCH)
        return PyUnicode_FromStringAndSize(item->oid, OID_LEN);
    Py_RETURN_NONE;
}

static PyObject *check_blobs(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer data;
    PyObject *oids, *offsets, *lengths;
    int threads;
    if (!PyArg_ParseTuple(args, "y*O!O!O!i", &data, &PyList_Type, &oids, &PyList_Type, &offsets,
                          &PyList_Type, &lengths, &threads))
        return NULL;
    Batch batch = {.one = check_blob};
    PyObject *results = run_blobs(&batch, &data, oids, offsets, lengths, threads, checked_result);
    PyBuffer_Release(&data);
    return results;
}

/* -- placing: cache objects copied out into the workspace -------------------------------- */

enum { PLACED = 10, CORRUPT };

typedef struct {
    const char *oid;  /* 64 lowercase hex digits (owned by the Python str) */
    const char *dest; /* the workspace path (owned by the Python bytes object) */
    const char *pack; /* the pack holding the object (owned by Python), or NULL: loose */
    long long offset, len; /* where in the pack */
    int executable;
    int outcome, err;
    long long ino, mtime_ns, size;
    char *failed; /* the path an error is about (malloc'd; NULL: the object) */
} Placement;

typedef struct {
    const char *root, *token;
    size_t root_len, token_len;
    Placement *items;
    Py_ssize_t count;
    long long max_size;
    Py_ssize_t next;
    int stop;
    int no_tmpfile; /* O_TMPFILE or /proc missing here: named temporary files only */
} Placing;

static void place_fail(Placement *item, int err, const char *path) {
    item->outcome = FAILED;
    item->err = err;
    item->failed = path ? strdup(path) : NULL;
}

/* Write data to the new file tmp; its stat in st. 0, or -1 having failed the item. */
static int write_named(Placement *item, const unsigned char *data, size_t len, const char *tmp,
                       struct stat *st) {
    int out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, item->executable ? 0777 : 0666);
    if (out < 0) {
        place_fail(item, errno, tmp);
        return -1;
    }
    if (write_all(out, data, len) != 0 || fstat(out, st) != 0) {
        place_fail(item, errno, tmp);
        close(out);
        unlink(tmp);
        return -1;
    }
    if (close(out) != 0) {
        place_fail(item, errno, tmp);
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Write data to an unnamed file (O_TMPFILE) in dest's folder and link it at dest, which saves
 * the rename of a named temporary file; where dest exists, link it at tmp instead, for the
 * caller to rename over dest. 1: at dest; 2: at tmp; 0: not done (no O_TMPFILE or /proc
 * here), the caller writes tmp itself; -1: failed (the item says why). Its stat in st. */
static int link_unnamed(Placing *batch, Placement *item, const unsigned char *data, size_t len,
                        size_t folder_len, char *tmp, struct stat *st) {
#ifdef O_TMPFILE
    if (__atomic_load_n(&batch->no_tmpfile, __ATOMIC_RELAXED))
        return 0;
    int fd, mode = item->executable ? 0777 : 0666;
    if (folder_len == 0) /* dest is "/name" or "name" */
        fd = open(item->dest[0] == '/' ? "/" : ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
    else { /* tmp starts with dest's folder and a slash */
        tmp[folder_len] = '\0';
        fd = open(tmp, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
        tmp[folder_len] = '/';
    }
    int err = errno;
    if (fd < 0) {
        if (err == EOPNOTSUPP || err == EISDIR || err == EINVAL) {
            __atomic_store_n(&batch->no_tmpfile, 1, __ATOMIC_RELAXED);
            return 0;
        }
        place_fail(item, err, item->dest);
        return -1;
    }
    if (write_all(fd, data, len) != 0 || fstat(fd, st) != 0) {
        place_fail(item, errno, item->dest);
        close(fd);
        return -1;
    }
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    int at = 1;
    if (linkat(AT_FDCWD, proc, AT_FDCWD, item->dest, AT_SYMLINK_FOLLOW) != 0) {
        at = errno == EEXIST ? 2 : 0;
        if (at == 2 && linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) != 0)
            at = 0;
    }
    err = errno;
    close(fd); /* an unlinked file vanishes here */
    if (at == 0 && err == ENOENT) /* no /proc: named temporary files from now on */
        __atomic_store_n(&batch->no_tmpfile, 1, __ATOMIC_RELAXED);
    else if (at == 0) {
        place_fail(item, err, item->dest);
        return -1;
    }
    return at;
#else
    (void)batch, (void)item, (void)data, (void)len, (void)folder_len, (void)tmp, (void)st;
    return 0;
#endif
}

/* Read the object, check it against its oid, write it to a temporary file beside dest and
 * rename that over dest; the new file's inode, mtime and size. */
static void place_one(Placing *batch, Placement *item, Py_ssize_t index, unsigned char **buffer,
                      size_t *cap, char *src, char **tmp, size_t *tmp_cap) {
    memcpy(src, batch->root, batch->root_len);
    char *at = src + batch->root_len;
    *at++ = '/';
    *at++ = item->oid[0];
    *at++ = item->oid[1];
    *at++ = '/';
    memcpy(at, item->oid + 2, OID_LEN - 2 + 1);
    long long len = 0;
    int loaded = item->pack ? read_range(item->pack, item->offset, item->len, buffer, cap)
                            : read_file(src, batch->max_size, buffer, cap, &len);
    if (item->pack && loaded == 0)
        len = item->len;
    if (loaded != 0) {
        if (loaded > 0)
            item->outcome = FALLBACK;
        else
            place_fail(item, errno, NULL);
        return;
    }
    struct stat st;
    uint8_t digest[B3_OUT_LEN];
    char got[OID_LEN + 1];
    b3_hash(*buffer, (size_t)len, digest);
    hex_of(digest, got);
    if (memcmp(got, item->oid, OID_LEN) != 0) {
        item->outcome = CORRUPT;
        return;
    }
    const char *slash = strrchr(item->dest, '/');
    size_t folder_len = slash ? (size_t)(slash - item->dest) : 0;
    const char *name = slash ? slash + 1 : item->dest;
    size_t need = strlen(item->dest) + batch->token_len + 48;
    if (need > *tmp_cap) {
        char *bigger = realloc(*tmp, need);
        if (bigger == NULL) {
            place_fail(item, ENOMEM, item->dest);
            return;
        }
        *tmp = bigger;
        *tmp_cap = need;
    }
    snprintf(*tmp, *tmp_cap, "%.*s%s.%s.%s%zd.cairn-tmp", (int)folder_len, item->dest,
             slash ? "/" : "", name, batch->token, index);
    int linked = link_unnamed(batch, item, *buffer, (size_t)len, folder_len, *tmp, &st);
    if (linked < 0)
        return; /* failed (and said so) */
    if (linked == 0 && write_named(item, *buffer, (size_t)len, *tmp, &st) != 0)
        return;
    if (linked != 1 && rename(*tmp, item->dest) != 0) {
        place_fail(item, errno, item->dest);
        unlink(*tmp);
        return;
    }
    item->ino = (long long)st.st_ino;
    item->mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    item->size = (long long)st.st_size;
    item->outcome = PLACED;
}

static void *place_worker(void *arg) {
    Placing *batch = arg;
    char *src = malloc(batch->root_len + OID_LEN + 8), *tmp = NULL;
    size_t tmp_cap = 0, cap = 0;
    unsigned char *buffer = NULL;
    for (;;) {
        Py_ssize_t i = __atomic_fetch_add(&batch->next, 1, __ATOMIC_RELAXED);
        if (i >= batch->count)
            break;
        Placement *item = &batch->items[i];
        if (__atomic_load_n(&batch->stop, __ATOMIC_RELAXED) || src == NULL) {
            item->outcome = src ? SKIPPED : FAILED;
            item->err = ENOMEM;
            continue;
        }
        place_one(batch, item, i, &buffer, &cap, src, &tmp, &tmp_cap);
        if (item->outcome == FAILED && !(item->err == ENOENT && item->failed == NULL))
            __atomic_store_n(&batch->stop, 1, __ATOMIC_RELAXED); /* a missing object is not */
    }
    free(buffer);
    free(src);
    free(tmp);
    return NULL;
}

static PyObject *placed_result(void *items, Py_ssize_t i, void *unused) {
    (void)unused;
    Placement *item = (Placement *)items + i;
    switch (item->outcome) {
    case PLACED:
        return Py_BuildValue("(LLL)", item->ino, item->mtime_ns, item->size);
    case CORRUPT:
        return Py_BuildValue("(OsO)", Py_None, "corrupt", Py_None);
    case FAILED:
        if (item->failed == NULL)
            return Py_BuildValue("(OiO)", Py_None, item->err, Py_None);
        return Py_BuildValue("(OiN)", Py_None, item->err,
                             PyUnicode_DecodeFSDefault(item->failed));
    default:
        return Py_BuildValue("(OOO)", Py_None, item->outcome == SKIPPED ? Py_False : Py_True,
                             Py_None);
    }
}

static PyObject *place_files(PyObject *self, PyObject *args) {
    const char *root, *token;
    Py_ssize_t root_len, token_len;
    PyObject *oids, *dests, *executables, *sources = Py_None;
    int threads;
    long long max_size;
    if (!PyArg_ParseTuple(args, "s#s#O!O!O!iL|O", &root, &root_len, &token, &token_len,
                          &PyList_Type, &oids, &PyList_Type, &dests, &PyList_Type, &executables,
                          &threads, &max_size, &sources))
        return NULL;
    Py_ssize_t count = PyList_GET_SIZE(oids);
    if (PyList_GET_SIZE(dests) != count || PyList_GET_SIZE(executables) != count ||
        (sources != Py_None && (!PyList_Check(sources) || PyList_GET_SIZE(sources) != count))) {
        PyErr_SetString(PyExc_ValueError,
                        "oids, dests, executables (and sources) must be equally long");
        return NULL;
    }
    Placing batch = {.no_tmpfile = !unnamed_allowed, .root = root, .token = token,
                     .root_len = (size_t)root_len, .token_len = (size_t)token_len,
                     .count = count, .max_size = max_size};
    batch.items = PyMem_Calloc(count ? (size_t)count : 1, sizeof(Placement));
    PyObject *encoded = PyList_New(0), *results = NULL;
    if (batch.items == NULL || encoded == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *bytes = NULL;
        const char *text = oid_text(PyList_GET_ITEM(oids, i));
        if (text == NULL) {
            PyErr_Format(PyExc_ValueError, "oids[%zd] is not a 64-digit lowercase oid", i);
            goto done;
        }
        if (!PyUnicode_FSConverter(PyList_GET_ITEM(dests, i), &bytes))
            goto done;
        int failed = PyList_Append(encoded, bytes);
        Py_DECREF(bytes); /* the list keeps it (and so its buffer) alive */
        if (failed)
            goto done;
        int executable = PyObject_IsTrue(PyList_GET_ITEM(executables, i));
        if (executable < 0)
            goto done;
        batch.items[i] = (Placement){.oid = text, .dest = PyBytes_AS_STRING(bytes),
                                     .executable = executable};
        Placement *item = &batch.items[i];
        if (pack_source(sources, i, encoded, max_size, &item->pack, &item->offset,
                        &item->len) < 0)
            goto done;
    }
    results = run_then_list(place_worker, &batch, threads, count, placed_result, batch.items, NULL);
done:
    for (Py_ssize_t i = 0; batch.items != NULL && i < count; i++)
        free(batch.items[i].failed);
    PyMem_Free(batch.items);
    Py_XDECREF(encoded);
    return results;
}

/* -- reading: objects read whole and checked, for a pack ---------------------------------- */

typedef struct {
    const char *oid;
    const char *pack; /* the pack holding the object (owned by Python), or NULL: loose */
    long long offset;
    unsigned char *data; /* malloc'd; owned here until turned into bytes */
    long long len;
    int outcome, err;
} Reading;

typedef struct {
    const char *root;
    size_t root_len;
    Reading *items;
    Py_ssize_t count;
    long long max_size;
    Py_ssize_t next;
} Reads;

static void *read_worker(void *arg) {
    Reads *batch = arg;
    char *src = malloc(batch->root_len + OID_LEN + 8);
    for (;;) {
        Py_ssize_t i = __atomic_fetch_add(&batch->next, 1, __ATOMIC_RELAXED);
        if (i >= batch->count)
            break;
        Reading *item = &batch->items[i];
        if (src == NULL) {
            item->outcome = FAILED;
            item->err = ENOMEM;
            continue;
        }
        snprintf(src, batch->root_len + OID_LEN + 8, "%s/%.2s/%s", batch->root, item->oid,
                 item->oid + 2);
        size_t cap = 0;
        int loaded = item->pack ? read_range(item->pack, item->offset, item->len, &item->data, &cap)
                                : read_file(src, batch->max_size, &item->data, &cap, &item->len);
        if (loaded != 0) {
            item->outcome = loaded > 0 ? FALLBACK : FAILED;
            item->err = errno;
            continue;
        }
        uint8_t digest[B3_OUT_LEN];
        char got[OID_LEN + 1];
        b3_hash(item->data, (size_t)item->len, digest);
        hex_of(digest, got);
        item->outcome = memcmp(got, item->oid, OID_LEN) == 0 ? DONE : MISMATCH;
    }
    free(src);
    return NULL;
}

static PyObject *read_result(void *items, Py_ssize_t i, void *unused) {
    (void)unused;
    Reading *item = (Reading *)items + i;
    switch (item->outcome) {
    case DONE:
        return PyBytes_FromStringAndSize((const char *)item->data, (Py_ssize_t)item->len);
    case FAILED:
        return PyLong_FromLong(item->err);
    case MISMATCH:
        return Py_NewRef(Py_False);
    default:
        return Py_NewRef(Py_None);
    }
}

static PyObject *read_objects(PyObject *self, PyObject *args) {
    const char *root;
    Py_ssize_t root_len;
    PyObject *oids, *sources = Py_None;
    int threads;
    long long max_size;
    if (!PyArg_ParseTuple(args, "s#O!iL|O", &root, &root_len, &PyList_Type, &oids, &threads,
                          &max_size, &sources))
        return NULL;
    Py_ssize_t count = PyList_GET_SIZE(oids);
    if (sources != Py_None && (!PyList_Check(sources) || PyList_GET_SIZE(sources) != count)) {
        PyErr_SetString(PyExc_ValueError, "sources must be None or a list as long as oids");
        return NULL;
    }
    Reads batch = {.root = root, .root_len = (size_t)root_len, .count = count,
                   .max_size = max_size};
    batch.items = PyMem_Calloc(count ? (size_t)count : 1, sizeof(Reading));
    PyObject *encoded = PyList_New(0), *results = NULL;
    if (batch.items == NULL || encoded == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        Reading *item = &batch.items[i];
        item->oid = oid_text(PyList_GET_ITEM(oids, i));
        if (item->oid == NULL) {
            PyErr_Format(PyExc_ValueError, "oids[%zd] is not a 64-digit lowercase oid", i);
            goto done;
        }
        if (pack_source(sources, i, encoded, max_size, &item->pack, &item->offset, &item->len) < 0)
            goto done;
    }
    results = run_then_list(read_worker, &batch, threads, count, read_result, batch.items, NULL);
done:
    for (Py_ssize_t i = 0; batch.items != NULL && i < count; i++)
        free(batch.items[i].data);
    PyMem_Free(batch.items);
    Py_XDECREF(encoded);
    return results;
}

static PyObject *packed_result(void *items, Py_ssize_t i, void *paths) {
    Item *item = (Item *)items + i;
    switch (item->outcome) {
    case DONE:
        return Py_BuildValue("(sLL)", item->oid, item->offset, item->size);
    case FAILED:
        if (item->failed != NULL && item->failed[0] == '\0') /* writing the pack failed */
            return Py_BuildValue("(OiO)", Py_None, item->err, Py_None);
        return Py_BuildValue("(OiO)", Py_None, item->err, PyList_GET_ITEM((PyObject *)paths, i));
    default:
        return Py_BuildValue("(OOO)", Py_None, item->outcome == SKIPPED ? Py_False : Py_True,
                             Py_None);
    }
}

static PyObject *pack_files(PyObject *self, PyObject *args) {
    (void)self;
    int fd, threads;
    long long start, max_size;
    PyObject *paths, *expected;
    if (!PyArg_ParseTuple(args, "iLO!OiL", &fd, &start, &PyList_Type, &paths, &expected,
                          &threads, &max_size))
        return NULL;
    Batch batch = {.one = pack_one, .max_size = max_size, .pack_fd = fd, .pack_end = start};
    return run_files(&batch, paths, expected, threads, packed_result);
}

static PyObject *hash_bytes(PyObject *self, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) != 0)
        return NULL;
    uint8_t digest[B3_OUT_LEN];
    Py_BEGIN_ALLOW_THREADS
    b3_hash(view.buf, (size_t)view.len, digest);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    char hex[OID_LEN + 1];
    hex_of(digest, hex);
    return PyUnicode_FromStringAndSize(hex, OID_LEN);
}

static PyObject *use_unnamed(PyObject *self, PyObject *arg) {
    (void)self;
    int allowed = PyObject_IsTrue(arg);
    if (allowed < 0)
        return NULL;
    PyObject *before = PyBool_FromLong(unnamed_allowed);
    unnamed_allowed = allowed;
    return before;
}

static PyMethodDef methods[] = {
    {"use_unnamed", use_unnamed, METH_O,
     "use_unnamed(allowed) -> bool, the setting before\n\n"
     "Whether the loops may write new files unnamed (O_TMPFILE) and link them into place\n"
     "(the default); False makes every write take the named temporary file and rename\n"
     "used where the filesystem has no O_TMPFILE."},
    {"pack_files", pack_files, METH_VARARGS,
     "pack_files(fd, start, paths, expected, threads, max_size) -> list, one per path\n\n"
     "Append each file of paths (read whole, in `threads` threads without the GIL) to the\n"
     "open file fd, from offset start on, in no particular order: the bytes of a file are\n"
     "contiguous and named by their BLAKE3, or by expected[i] when expected is a list and\n"
     "that is not None (trusted, not hashed). Each result is:\n"
     "  (oid, offset, size)    written at offset;\n"
     "  (None, errno, path)    reading path failed (items after it may be skipped);\n"
     "  (None, errno, None)    writing fd failed;\n"
     "  (None, True, None)     not handled here: not a regular file or bigger than\n"
     "                         max_size bytes;\n"
     "  (None, False, None)    skipped after another item failed."},
    {"store_files", store_files, METH_VARARGS,
     "store_files(root, token, paths, expected, threads, max_size, made) -> list, one per\n"
     "path\n\n"
     "Store each file of paths (a list of str) in the object folder root, in `threads`\n"
     "threads without the GIL. expected is None or a list of oid | None: a known oid is\n"
     "trusted (not hashed) and, when its object is present, the file is not even opened,\n"
     "as in ObjectDB.store_file(src, oid). Otherwise the file is read whole and named by the\n"
     "BLAKE3 of the bytes read; an object present already (any entry at its path) is not\n"
     "written again. A new object is written whole (mode 0444, no fsync) to an unnamed\n"
     "file (O_TMPFILE) linked at '<root>/<oid[:2]>/<oid[2:]>', or where the filesystem has no\n"
     "O_TMPFILE, to '<final>.<token><index>.tmp' (O_EXCL) renamed there; the folder <root>\n"
     "must exist. made is a bytearray(256): made[int(oid[:2], 16)] is that prefix folder's\n"
     "state, read and updated: 0 unknown, 1 exists, 2 made here (it then holds only objects\n"
     "linked without replacing, so linking alone tells whether an object is present).\n"
     "Each result is:\n"
     "  (oid, written: bool, size)  stored; size is the bytes read, -1 when not read;\n"
     "  (None, errno, path)         failed on path (the temporary file removed); items after\n"
     "                              the first failure may be skipped;\n"
     "  (None, True, None)          not handled here: not a regular file or bigger than\n"
     "                              max_size bytes;\n"
     "  (None, False, None)         skipped after another item failed."},
    {"store_blobs", store_blobs, METH_VARARGS,
     "store_blobs(root, token, data, oids, offsets, lengths, threads, made) -> list, one per\n"
     "oid\n\n"
     "Store data[offsets[i]:offsets[i] + lengths[i]] as object oids[i] in the object folder\n"
     "root, as store_files stores a file (in `threads` threads, made as there), once its\n"
     "bytes are checked against the oid. Each result is:\n"
     "  (written: bool, None)  stored (False: present already);\n"
     "  (None, got)            the bytes hash to got instead: nothing stored;\n"
     "  (None, errno, path)    failed on path; items after it may be skipped;\n"
     "  (None, None)           skipped after another item failed."},
    {"check_blobs", check_blobs, METH_VARARGS,
     "check_blobs(data, oids, offsets, lengths, threads) -> list, one per oid\n\n"
     "Hash data[offsets[i]:offsets[i] + lengths[i]] in `threads` threads without the GIL:\n"
     "None where the bytes hash to oids[i], else the oid they hash to."},
    {"place_files", place_files, METH_VARARGS,
     "place_files(root, token, oids, dests, executables, threads, max_size[, sources]) ->\n"
     "list, one per oid\n\n"
     "Copy each object oids[i] of the object folder root (or, where sources[i] is a tuple\n"
     "(pack path, offset, size), those bytes of a pack) to the path dests[i], in `threads`\n"
     "threads without the GIL: the object is read whole and checked against its oid, written\n"
     "(mode 0777 if executables[i] else 0666, less the umask) to an unnamed file (O_TMPFILE)\n"
     "in dests[i]'s folder and linked at dests[i] (where dests[i] exists, linked at a\n"
     "temporary name and renamed over it), or, where the filesystem has no O_TMPFILE, to\n"
     "'<dest folder>/.<dest name>.<token><i>.cairn-tmp' (O_EXCL) renamed over dests[i];\n"
     "dest folders must exist. Each result is:\n"
     "  (ino, mtime_ns, size)    placed: the new file's signature;\n"
     "  (None, 'corrupt', None)  the object's bytes do not hash to its oid (dest untouched);\n"
     "  (None, errno, None)      the object could not be read (ENOENT: it is missing);\n"
     "  (None, errno, path)      writing path failed (the temporary file removed); items\n"
     "                           after it may be skipped;\n"
     "  (None, True, None)       not handled here: not a regular file or bigger than\n"
     "                           max_size bytes;\n"
     "  (None, False, None)      skipped after another item failed."},
    {"read_objects", read_objects, METH_VARARGS,
     "read_objects(root, oids, threads, max_size[, sources]) -> list, one per oid\n\n"
     "Read each object of the object folder root (or, where sources[i] is a tuple (pack\n"
     "path, offset, size), those bytes of a pack) whole and check it against its oid, in\n"
     "`threads` threads without the GIL. Each result is the object's bytes; False when they\n"
     "do not hash to its oid; an errno when it could not be read (ENOENT: it is missing);\n"
     "None when it is not a regular file or bigger than max_size bytes (left to Python)."},
    {"hash_bytes", hash_bytes, METH_O,
     "hash_bytes(data) -> str: the BLAKE3 hex digest of a bytes-like object."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "cairn.objects._faststore",
    "The per-file loops of ObjectDB.store_files and of placing small objects, in C.", -1,
    methods,
};

PyMODINIT_FUNC PyInit__faststore(void) { return PyModule_Create(&module); }
