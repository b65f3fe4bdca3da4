/* cairn.objects._faststore: the per-file loop of ObjectDB.store_files in C.
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

enum { DONE, FALLBACK, FAILED, SKIPPED };

typedef struct {
    const char *src;      /* the file to store (owned by the Python bytes object) */
    const char *expected; /* its oid when the caller knows it, else NULL */
    char oid[OID_LEN + 1];
    int outcome, written, err;
    long long size;       /* bytes read; -1 when the object was present and src not read */
    char *failed;         /* the path an error is about (malloc'd; NULL: src) */
} Item;

typedef struct {
    const char *root, *token;
    size_t root_len, token_len;
    Item *items;
    Py_ssize_t count;
    long long max_size;
    Py_ssize_t next; /* the next unclaimed item (atomic) */
    int stop;        /* set (atomic) after an error: later items are skipped */
    int no_tmpfile;  /* set (atomic) once the filesystem refused O_TMPFILE */
    unsigned char *made; /* [256]: FOLDER_* of each prefix folder (shared with the caller) */
} Batch;

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
    int fd = open(item->src, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fail(item, errno, NULL);
        return;
    }
    if (fstat(fd, &st) != 0) {
        fail(item, errno, NULL);
        close(fd);
        return;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > batch->max_size) {
        item->outcome = FALLBACK;
        close(fd);
        return;
    }
    long long len = read_all(fd, (long long)st.st_size, buffer, cap);
    int err = errno;
    close(fd);
    if (len < 0) {
        fail(item, err, NULL);
        return;
    }
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
        store_one(batch, item, i, &buffer, &cap, final, tmp);
        if (item->outcome == FAILED)
            __atomic_store_n(&batch->stop, 1, __ATOMIC_RELAXED);
    }
    free(buffer);
    free(final);
    free(tmp);
    return NULL;
}

static void run(Batch *batch, int threads) {
    if (threads > batch->count)
        threads = (int)batch->count;
    pthread_t *ids = threads > 1 ? malloc(sizeof(pthread_t) * (size_t)threads) : NULL;
    int started = 0;
    if (ids != NULL)
        for (; started < threads - 1; started++) /* this thread is the last worker */
            if (pthread_create(&ids[started], NULL, worker, batch) != 0)
                break;
    worker(batch);
    for (int i = 0; i < started; i++)
        pthread_join(ids[i], NULL);
    free(ids);
}

static PyObject *result_of(Item *item, PyObject *src) {
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

/* Check the arguments and fill batch->items; 0 or -1 with an exception set. */
static int prepare(Batch *batch, PyObject *paths, PyObject *expected, PyObject *encoded) {
    for (Py_ssize_t i = 0; i < batch->count; i++) {
        PyObject *bytes = NULL;
        if (!PyUnicode_FSConverter(PyList_GET_ITEM(paths, i), &bytes))
            return -1;
        int failed = PyList_Append(encoded, bytes);
        Py_DECREF(bytes); /* the list keeps it (and so its buffer) alive */
        if (failed)
            return -1;
        batch->items[i].src = PyBytes_AS_STRING(bytes);
        PyObject *oid = expected == Py_None ? Py_None : PyList_GET_ITEM(expected, i);
        if (oid == Py_None)
            continue;
        Py_ssize_t size = 0;
        const char *text = PyUnicode_Check(oid) ? PyUnicode_AsUTF8AndSize(oid, &size) : NULL;
        int good = text != NULL && size == OID_LEN;
        for (Py_ssize_t k = 0; good && k < OID_LEN; k++)
            good = hex_value(text[k]) >= 0;
        if (!good) {
            PyErr_Format(PyExc_ValueError, "expected[%zd] is not a 64-digit lowercase oid", i);
            return -1;
        }
        batch->items[i].expected = text;
    }
    return 0;
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
    Py_ssize_t count = PyList_GET_SIZE(paths);
    if (expected != Py_None && (!PyList_Check(expected) || PyList_GET_SIZE(expected) != count)) {
        PyErr_SetString(PyExc_ValueError, "expected must be None or a list as long as paths");
        PyBuffer_Release(&made);
        return NULL;
    }
    Batch batch = {.root = root, .token = token, .root_len = (size_t)root_len,
                   .token_len = (size_t)token_len, .count = count, .max_size = max_size,
                   .made = made.buf};
    batch.items = PyMem_Calloc(count ? (size_t)count : 1, sizeof(Item));
    PyObject *encoded = PyList_New(0), *results = NULL;
    if (batch.items == NULL || encoded == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (prepare(&batch, paths, expected, encoded) != 0)
        goto done;
    Py_BEGIN_ALLOW_THREADS
    run(&batch, threads < 1 ? 1 : threads);
    Py_END_ALLOW_THREADS
    results = PyList_New(count);
    for (Py_ssize_t i = 0; results != NULL && i < count; i++) {
        PyObject *one = result_of(&batch.items[i], PyList_GET_ITEM(paths, i));
        if (one == NULL)
            Py_CLEAR(results);
        else
            PyList_SET_ITEM(results, i, one);
    }
done:
    for (Py_ssize_t i = 0; batch.items != NULL && i < count; i++)
        free(batch.items[i].failed);
    PyMem_Free(batch.items);
    Py_XDECREF(encoded);
    PyBuffer_Release(&made);
    return results;
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

static PyMethodDef methods[] = {
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
    {"hash_bytes", hash_bytes, METH_O,
     "hash_bytes(data) -> str: the BLAKE3 hex digest of a bytes-like object."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "cairn.objects._faststore",
    "The per-file loop of cairn.objects.db.ObjectDB.store_files, in C.", -1, methods,
};

PyMODINIT_FUNC PyInit__faststore(void) { return PyModule_Create(&module); }
