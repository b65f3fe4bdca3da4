/* cairn.data._fastscan: the loop of cairn.data.walk.scan_folder in C.
 *
 * Listing a tracked folder costs one stat per file; in Python the interpreter's work around
 * each stat costs several times the system call, so `cairn data status` of 20,000 unchanged
 * files spent most of its time here. This module walks the same way as the Python loop it
 * replaces (a stack of folders, entries in readdir order, symlinks to files followed,
 * symlinks to folders and other odd entries reported, not entered) and builds the same
 * objects, so either implementation gives the same Scan and the same fingerprint.
 * walk.py keeps the Python loop for machines where this module was not compiled.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char *path;   /* absolute folder path */
    char *prefix; /* relative prefix, "" or ending in '/' */
} Pending;

typedef struct {
    Pending *items;
    Py_ssize_t len, cap;
} Stack;

typedef struct {
    unsigned char *data;
    size_t len, cap;
} Buffer;

static int buffer_reserve(Buffer *buffer, size_t more) {
    if (buffer->len + more <= buffer->cap)
        return 0;
    size_t cap = buffer->cap ? buffer->cap : 1 << 16;
    while (cap < buffer->len + more)
        cap *= 2;
    unsigned char *grown = PyMem_Realloc(buffer->data, cap);
    if (grown == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    buffer->data = grown;
    buffer->cap = cap;
    return 0;
}

static int stack_push(Stack *stack, char *path, char *prefix) {
    if (stack->len == stack->cap) {
        Py_ssize_t cap = stack->cap ? stack->cap * 2 : 64;
        Pending *grown = PyMem_Realloc(stack->items, cap * sizeof(Pending));
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        stack->items = grown;
        stack->cap = cap;
    }
    stack->items[stack->len].path = path;
    stack->items[stack->len].prefix = prefix;
    stack->len++;
    return 0;
}

static char *join(const char *a, const char *sep, const char *b) {
    size_t la = strlen(a), ls = strlen(sep), lb = strlen(b);
    char *out = PyMem_Malloc(la + ls + lb + 1);
    if (out == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    memcpy(out, a, la);
    memcpy(out + la, sep, ls);
    memcpy(out + la + ls, b, lb + 1);
    return out;
}

/* A tuple subclass instance (Found is a NamedTuple) holding the given new references. */
static PyObject *new_found(PyTypeObject *found_type, PyObject *sig, int executable, int linked) {
    PyObject *found = found_type->tp_alloc(found_type, 3);
    if (found == NULL) {
        Py_DECREF(sig);
        return NULL;
    }
    PyTuple_SET_ITEM(found, 0, sig);
    PyTuple_SET_ITEM(found, 1, PyBool_FromLong(executable));
    PyTuple_SET_ITEM(found, 2, PyBool_FromLong(linked));
    return found;
}

/* Append the bytes that stand for one file in the scan's fingerprint: its path, NUL, then
 * inode, mtime, size (8 bytes each), mode (4) and the linked flag (1), little-endian; walk.py's
 * Python loop writes the same bytes with struct "<QqqIB". */
static int add_record(Buffer *record, const char *rel, unsigned long long ino, long long mtime_ns,
                      long long size, unsigned int mode, int linked) {
    size_t len = strlen(rel);
    unsigned char row[29];
    if (buffer_reserve(record, len + 1 + sizeof row) < 0)
        return -1;
    memcpy(record->data + record->len, rel, len + 1);
    record->len += len + 1;
    for (int i = 0; i < 8; i++) {
        row[i] = (unsigned char)(ino >> (8 * i));
        row[8 + i] = (unsigned char)((unsigned long long)mtime_ns >> (8 * i));
        row[16 + i] = (unsigned char)((unsigned long long)size >> (8 * i));
    }
    for (int i = 0; i < 4; i++)
        row[24 + i] = (unsigned char)(mode >> (8 * i));
    row[28] = (unsigned char)(linked != 0);
    memcpy(record->data + record->len, row, sizeof row);
    record->len += sizeof row;
    return 0;
}

/* Record one regular file: files[rel] = Found(...), and its bytes in the record. */
static int add_file(PyObject *files, Buffer *record, Buffer *offsets, PyTypeObject *found_type,
                    const char *rel, const struct stat *st, int is_link, long long *newest) {
    long long mtime_ns = (long long)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
    int linked = is_link || st->st_nlink > 1;
    if (buffer_reserve(offsets, 4) < 0)
        return -1;
    for (int i = 0; i < 4; i++) /* where this row starts in the record, uint32 little-endian */
        offsets->data[offsets->len + i] = (unsigned char)(record->len >> (8 * i));
    offsets->len += 4;
    if (add_record(record, rel, (unsigned long long)st->st_ino, mtime_ns, (long long)st->st_size,
                   (unsigned int)st->st_mode, linked) < 0)
        return -1;
    if (mtime_ns > *newest)
        *newest = mtime_ns;
    if (files == NULL)
        return 0; /* the record alone was asked for */
    PyObject *key = PyUnicode_DecodeFSDefault(rel);
    if (key == NULL)
        return -1;
    PyObject *sig = Py_BuildValue("(KLL)", (unsigned long long)st->st_ino, mtime_ns,
                                  (long long)st->st_size);
    if (sig == NULL) {
        Py_DECREF(key);
        return -1;
    }
    PyObject *found = new_found(found_type, sig, (st->st_mode & 0100) != 0, linked);
    int failed = found == NULL || PyDict_SetItem(files, key, found) < 0;
    Py_XDECREF(found);
    Py_DECREF(key);
    return failed ? -1 : 0;
}

static int add_odd(PyObject *odd, const char *rel) {
    PyObject *name = PyUnicode_DecodeFSDefault(rel);
    if (name == NULL)
        return -1;
    int failed = PyList_Append(odd, name) < 0;
    Py_DECREF(name);
    return failed ? -1 : 0;
}

/* A file met while listing, stat'ed afterwards (by several threads when there are many). */
typedef struct {
    char *rel;             /* path relative to the scanned folder */
    Py_ssize_t dir;        /* index of its folder in Folders */
    size_t name_at;        /* where its name starts in rel */
    int is_link, error;    /* error: the errno of its stat, 0 when it worked */
    struct stat st;
} Entry;

typedef struct {
    Entry *items;
    Py_ssize_t len, cap;
    char **dirs; /* absolute folder paths */
    Py_ssize_t ndirs, dircap;
} Listing;

static int listing_add_dir(Listing *listing, char *path) {
    if (listing->ndirs == listing->dircap) {
        Py_ssize_t cap = listing->dircap ? listing->dircap * 2 : 64;
        char **grown = PyMem_Realloc(listing->dirs, cap * sizeof(char *));
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        listing->dirs = grown;
        listing->dircap = cap;
    }
    listing->dirs[listing->ndirs++] = path;
    return 0;
}

static Entry *listing_add(Listing *listing) {
    if (listing->len == listing->cap) {
        Py_ssize_t cap = listing->cap ? listing->cap * 2 : 1024;
        Entry *grown = PyMem_Realloc(listing->items, cap * sizeof(Entry));
        if (grown == NULL) {
            PyErr_NoMemory();
            return NULL;
        }
        listing->items = grown;
        listing->cap = cap;
    }
    Entry *entry = &listing->items[listing->len++];
    memset(entry, 0, sizeof *entry);
    return entry;
}

/* One folder: its files into the listing (not stat'ed yet), sub-folders onto the stack. */
static int list_one(Pending folder, Stack *stack, Listing *listing, PyObject *odd) {
    int dirfd = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        if (errno == ENOTDIR)
            return 0; /* not a folder: as the Python loop does */
        PyErr_SetFromErrnoWithFilename(PyExc_OSError, folder.path);
        return -1;
    }
    DIR *dir = fdopendir(dirfd);
    if (dir == NULL) {
        PyErr_SetFromErrnoWithFilename(PyExc_OSError, folder.path);
        close(dirfd);
        return -1;
    }
    char *dir_path = join(folder.path, "", "");
    int status = dir_path == NULL || listing_add_dir(listing, dir_path) < 0 ? -1 : 0;
    if (status < 0)
        PyMem_Free(dir_path);
    Py_ssize_t dir_index = listing->ndirs - 1;
    struct dirent *entry;
    errno = 0;
    while (status == 0 && (entry = readdir(dir)) != NULL) {
        const char *name = entry->d_name;
        if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0)))
            continue;
        char *rel = join(folder.prefix, "", name);
        if (rel == NULL) {
            status = -1;
            break;
        }
        unsigned char type = entry->d_type;
        if (type == DT_UNKNOWN) {
            struct stat st;
            if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
                PyMem_Free(rel);
                errno = 0;
                continue; /* vanished while listing */
            }
            type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : DT_REG;
        }
        if (type == DT_DIR) {
            char *path = join(folder.path, "/", name);
            char *prefix = join(rel, "/", "");
            PyMem_Free(rel);
            if (path == NULL || prefix == NULL || stack_push(stack, path, prefix) < 0) {
                PyMem_Free(path);
                PyMem_Free(prefix);
                status = -1;
                break;
            }
            errno = 0;
            continue;
        }
        Entry *found = listing_add(listing);
        if (found == NULL) {
            PyMem_Free(rel);
            status = -1;
            break;
        }
        found->rel = rel;
        found->dir = dir_index;
        found->name_at = strlen(folder.prefix);
        found->is_link = type == DT_LNK;
        errno = 0;
    }
    if (status == 0 && errno != 0) {
        PyErr_SetFromErrnoWithFilename(PyExc_OSError, folder.path);
        status = -1;
    }
    closedir(dir);
    return status;
}

typedef struct {
    Listing *listing;
    Py_ssize_t start, stop;
} Slice;

/* Stat the entries of one slice (no Python here: it runs without the GIL). */
static void *stat_slice(void *arg) {
    Slice *slice = arg;
    Listing *listing = slice->listing;
    Py_ssize_t open_dir = -1;
    int dirfd = -1;
    for (Py_ssize_t i = slice->start; i < slice->stop; i++) {
        Entry *entry = &listing->items[i];
        if (entry->dir != open_dir) {
            if (dirfd >= 0)
                close(dirfd);
            open_dir = entry->dir;
            dirfd = open(listing->dirs[open_dir], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        }
        if (dirfd < 0)
            entry->error = errno ? errno : ENOENT;
        else if (fstatat(dirfd, entry->rel + entry->name_at, &entry->st, 0) != 0)
            entry->error = errno;
    }
    if (dirfd >= 0)
        close(dirfd);
    return NULL;
}

#define MAX_THREADS 4
#define PER_THREAD 2048 /* files: fewer are stat'ed by one thread */

static void stat_all(Listing *listing) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    Py_ssize_t threads = listing->len / PER_THREAD;
    if (threads > cpus)
        threads = cpus;
    if (threads > MAX_THREADS)
        threads = MAX_THREADS;
    if (threads < 1)
        threads = 1;
    Slice slices[MAX_THREADS];
    pthread_t ids[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    Py_ssize_t step = (listing->len + threads - 1) / threads;
    for (Py_ssize_t t = 0; t < threads; t++) {
        slices[t].listing = listing;
        slices[t].start = t * step < listing->len ? t * step : listing->len;
        slices[t].stop = (t + 1) * step < listing->len ? (t + 1) * step : listing->len;
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t t = 1; t < threads; t++)
        started[t] = pthread_create(&ids[t], NULL, stat_slice, &slices[t]) == 0;
    stat_slice(&slices[0]);
    for (Py_ssize_t t = 1; t < threads; t++) {
        if (started[t])
            pthread_join(ids[t], NULL);
        else
            stat_slice(&slices[t]); /* no thread to spare: do it here */
    }
    Py_END_ALLOW_THREADS
}

/* The stat'ed entries, in the order listed: files into the containers, the rest as odd. */
static int collect(Listing *listing, PyObject *files, Buffer *record, Buffer *offsets,
                   PyObject *odd, PyTypeObject *found_type, long long *newest) {
    for (Py_ssize_t i = 0; i < listing->len; i++) {
        Entry *entry = &listing->items[i];
        int status = 0;
        if (entry->error == ENOENT) {
            if (entry->is_link)
                status = add_odd(odd, entry->rel); /* a dangling link */
        } else if (entry->error) {
            errno = entry->error;
            PyErr_SetFromErrnoWithFilename(PyExc_OSError, listing->dirs[entry->dir]);
            status = -1;
        } else if (S_ISREG(entry->st.st_mode)) {
            status = add_file(files, record, offsets, found_type, entry->rel, &entry->st,
                              entry->is_link, newest);
        } else {
            status = add_odd(odd, entry->rel); /* a link to a folder, a socket, a fifo ... */
        }
        if (status < 0)
            return -1;
    }
    return 0;
}

static void listing_free(Listing *listing) {
    for (Py_ssize_t i = 0; i < listing->len; i++)
        PyMem_Free(listing->items[i].rel);
    for (Py_ssize_t i = 0; i < listing->ndirs; i++)
        PyMem_Free(listing->dirs[i]);
    PyMem_Free(listing->items);
    PyMem_Free(listing->dirs);
}

static PyObject *scan(PyObject *module, PyObject *args) {
    PyObject *root_arg;
    PyObject *found_arg;
    if (!PyArg_ParseTuple(args, "O&O:scan", PyUnicode_FSConverter, &root_arg, &found_arg))
        return NULL;
    /* Found None: only the record and the row offsets (no Python object per file). */
    PyTypeObject *found_type = NULL;
    if (found_arg != Py_None) {
        if (!PyType_Check(found_arg) ||
            !PyType_IsSubtype((PyTypeObject *)found_arg, &PyTuple_Type)) {
            Py_DECREF(root_arg);
            PyErr_SetString(PyExc_TypeError,
                            "scan: the second argument must be a tuple type or None");
            return NULL;
        }
        found_type = (PyTypeObject *)found_arg;
    }
    PyObject *files = found_type ? PyDict_New() : NULL, *odd = PyList_New(0);
    Buffer record = {NULL, 0, 0}, offsets = {NULL, 0, 0};
    Stack stack = {NULL, 0, 0};
    Listing listing = {NULL, 0, 0, NULL, 0, 0};
    long long newest = 0;
    int status = (files || !found_type) && odd ? 0 : -1;
    char *path = status == 0 ? join(PyBytes_AS_STRING(root_arg), "", "") : NULL;
    char *prefix = status == 0 ? join("", "", "") : NULL;
    Py_DECREF(root_arg);
    if (path == NULL || prefix == NULL || stack_push(&stack, path, prefix) < 0) {
        PyMem_Free(path);
        PyMem_Free(prefix);
        status = -1;
    }
    while (status == 0 && stack.len > 0) {
        Pending folder = stack.items[--stack.len];
        status = list_one(folder, &stack, &listing, odd);
        PyMem_Free(folder.path);
        PyMem_Free(folder.prefix);
    }
    while (stack.len > 0) {
        stack.len--;
        PyMem_Free(stack.items[stack.len].path);
        PyMem_Free(stack.items[stack.len].prefix);
    }
    PyMem_Free(stack.items);
    if (status == 0) {
        stat_all(&listing);
        status = collect(&listing, files, &record, &offsets, odd, found_type, &newest);
    }
    listing_free(&listing);
    PyObject *result = NULL;
    if (status == 0)
        result = Py_BuildValue("(Oy#OLy#)", files ? files : Py_None,
                               record.data ? (const char *)record.data : "",
                               (Py_ssize_t)record.len, odd, newest,
                               offsets.data ? (const char *)offsets.data : "",
                               (Py_ssize_t)offsets.len);
    PyMem_Free(record.data);
    PyMem_Free(offsets.data);
    Py_XDECREF(files);
    Py_XDECREF(odd);
    return result;
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS,
     "scan(folder, Found | None) -> (files | None, record, odd, newest_mtime_ns, offsets): see "
     "cairn.data.walk."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "cairn.data._fastscan",
    "The file-listing loop of cairn.data.walk, in C.", -1, methods,
};

PyMODINIT_FUNC PyInit__fastscan(void) { return PyModule_Create(&module); }
