/* Optional C speed-ups of the enrichment: the sentiment models' featuriser (FeatureTable, for
 * streams/enrich/linear.py) and the intent/urgency cue matcher (CueMatcher, for streams/enrich/cues.py, below).
 *
 * FeatureTable(unigrams, bigrams, split_chars, split_ranges, separators, token_limit) holds a model's packed
 * weights (linear.py: one int per feature) in an open-addressing table keyed by the features' code points.
 * table.score(text) tokenises text exactly as linear._TOKEN_RE.findall does (a token is a run of characters
 * that are neither whitespace, nor a separator, nor a split-off character; each split-off character is a
 * token of its own), keeps the first token_limit tokens, and returns (sum of the packed weights of every
 * unigram and adjacent-token bigram, number of tokens). No Python object is made per token: that, and the
 * dict look-ups of fresh strings, is where the pure-Python path spends its time.
 *
 * linear.py and cues.py use this module when it was built (setup.py marks it optional) and fall back to their
 * Python paths otherwise; tests/unit/test_featurise.py holds both to the same results.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define EMPTY (-1)

typedef struct {
    uint64_t hash;
    int64_t value;
    int32_t first_offset; /* code points of the (first) token in blob */
    int32_t first_length;
    int32_t second_offset; /* the bigram's second token; second_length < 0 for a unigram */
    int32_t second_length;
} Entry;

typedef struct {
    PyObject_HEAD
    Py_UCS4 *blob;
    Py_ssize_t blob_length;
    Py_ssize_t blob_capacity;
    Entry *entries;
    Py_ssize_t entry_count;
    int32_t *slots;
    uint64_t mask;
    unsigned char ascii_split[128];
    Py_UCS4 *split_chars; /* non-ASCII split-off characters, sorted */
    Py_ssize_t split_count;
    Py_UCS4 (*split_ranges)[2];
    Py_ssize_t range_count;
    Py_UCS4 *separators;
    Py_ssize_t separator_count;
    Py_ssize_t token_limit;
    /* Character n-gram mode (char_ngrams=(min, max, limit)): score() sums the grams of each padded token. */
    Py_ssize_t gram_min, gram_max, gram_limit; /* gram_max 0: the token unigram/bigram mode */
    int ready; /* set by a successful __init__ only: a failed one leaves the object unusable, not half-built */
    int started; /* __init__ ran once: it is never run again on the same object */
} FeatureTable;

static uint64_t
hash_span(int kind, const void *data, Py_ssize_t start, Py_ssize_t end)
{
    uint64_t hash = 1469598103934665603ULL; /* FNV-1a over code points */
    for (Py_ssize_t i = start; i < end; i++) {
        hash ^= (uint64_t)PyUnicode_READ(kind, data, i);
        hash *= 1099511628211ULL;
    }
    return hash;
}

static uint64_t
hash_pair(uint64_t first, uint64_t second)
{
    uint64_t hash = first * 0x9E3779B97F4A7C15ULL ^ (second + 0x632BE59BD9B4E019ULL + (first << 6) + (first >> 2));
    hash ^= hash >> 31;
    return hash | 1ULL; /* never equal to a unigram's hash by accident of the combination */
}

/* The checks every method that reads a text makes: a str, ready to read, on an initialised object. */
static int
usable_text(PyObject *text, int ready, const char *owner)
{
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "%s expects str", owner);
        return -1;
    }
    if (PyUnicode_READY(text) < 0)
        return -1;
    if (!ready) {
        PyErr_Format(PyExc_RuntimeError, "%s is not initialised", owner);
        return -1;
    }
    return 0;
}

static int
reserve_blob(FeatureTable *self, Py_ssize_t extra)
{
    if (self->blob_length + extra <= self->blob_capacity)
        return 0;
    Py_ssize_t capacity = self->blob_capacity ? self->blob_capacity : 4096;
    while (capacity < self->blob_length + extra)
        capacity *= 2;
    if (capacity > INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "feature table too large");
        return -1;
    }
    Py_UCS4 *blob = PyMem_Realloc(self->blob, (size_t)capacity * sizeof(Py_UCS4));
    if (blob == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->blob = blob;
    self->blob_capacity = capacity;
    return 0;
}

/* Appends a key's code points to the blob; its offset and length go to *offset and *length. */
static int
store_key(FeatureTable *self, PyObject *key, int32_t *offset, int32_t *length, uint64_t *hash)
{
    if (!PyUnicode_Check(key)) {
        PyErr_SetString(PyExc_TypeError, "feature tokens must be str");
        return -1;
    }
    if (PyUnicode_READY(key) < 0)
        return -1;
    Py_ssize_t size = PyUnicode_GET_LENGTH(key);
    if (size > INT32_MAX || reserve_blob(self, size) < 0) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_OverflowError, "feature too long");
        return -1;
    }
    int kind = PyUnicode_KIND(key);
    const void *data = PyUnicode_DATA(key);
    for (Py_ssize_t i = 0; i < size; i++)
        self->blob[self->blob_length + i] = PyUnicode_READ(kind, data, i);
    *offset = (int32_t)self->blob_length;
    *length = (int32_t)size;
    *hash = hash_span(kind, data, 0, size);
    self->blob_length += size;
    return 0;
}

static int
add_entry(FeatureTable *self, PyObject *first, PyObject *second, PyObject *value, Py_ssize_t capacity)
{
    if (self->entry_count >= capacity) {
        PyErr_SetString(PyExc_RuntimeError, "the feature dicts changed while the table was built");
        return -1;
    }
    Entry *entry = &self->entries[self->entry_count];
    uint64_t first_hash, second_hash;
    int overflow = 0;
    if (!PyLong_Check(value)) { /* an int: its conversion runs no Python code (__index__ could change the dicts) */
        PyErr_SetString(PyExc_TypeError, "packed weights must be int");
        return -1;
    }
    long long packed = PyLong_AsLongLongAndOverflow(value, &overflow);
    if (packed == -1 && PyErr_Occurred())
        return -1;
    if (overflow) {
        PyErr_SetString(PyExc_OverflowError, "packed weight does not fit 64 bits");
        return -1;
    }
    entry->value = (int64_t)packed;
    if (store_key(self, first, &entry->first_offset, &entry->first_length, &first_hash) < 0)
        return -1;
    if (second == NULL) {
        entry->second_offset = 0;
        entry->second_length = -1;
        entry->hash = first_hash & ~1ULL;
    }
    else {
        if (store_key(self, second, &entry->second_offset, &entry->second_length, &second_hash) < 0)
            return -1;
        entry->hash = hash_pair(first_hash, second_hash);
    }
    self->entry_count++;
    return 0;
}

static void
insert_slot(FeatureTable *self, Py_ssize_t index)
{
    uint64_t position = self->entries[index].hash & self->mask;
    while (self->slots[position] != EMPTY)
        position = (position + 1) & self->mask;
    self->slots[position] = (int32_t)index;
}

static int
read_chars(PyObject *text, Py_UCS4 **chars, Py_ssize_t *count)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "expected str");
        return -1;
    }
    *count = PyUnicode_GET_LENGTH(text);
    *chars = PyUnicode_AsUCS4Copy(text);
    return *chars == NULL ? -1 : 0;
}

static int
compare_chars(const void *left, const void *right)
{
    Py_UCS4 a = *(const Py_UCS4 *)left, b = *(const Py_UCS4 *)right;
    return (a > b) - (a < b);
}

static int
FeatureTable_init(FeatureTable *self, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"unigrams",   "bigrams",     "split_chars", "split_ranges",
                               "separators", "token_limit", "char_ngrams", NULL};
    PyObject *unigrams, *bigrams, *split_chars, *split_ranges, *separators;
    Py_ssize_t token_limit, gram_min = 0, gram_max = 0, gram_limit = 0;
    if (self->started) {
        PyErr_SetString(PyExc_RuntimeError, "FeatureTable is already initialised");
        return -1;
    }
    self->started = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!O!UOUn|$(nnn)", keywords, &PyDict_Type, &unigrams,
                                     &PyDict_Type, &bigrams, &split_chars, &split_ranges, &separators, &token_limit,
                                     &gram_min, &gram_max, &gram_limit))
        return -1;
    if (token_limit < 1) {
        PyErr_SetString(PyExc_ValueError, "token_limit must be positive");
        return -1;
    }
    self->token_limit = token_limit;
    if (gram_max != 0 && (gram_min < 1 || gram_max < gram_min || gram_max > 64 || gram_limit < 1 ||
                          PyDict_GET_SIZE(bigrams) != 0)) {
        PyErr_SetString(PyExc_ValueError,
                        "char_ngrams must be (min, max, limit) with 1 <= min <= max <= 64 and limit >= 1, "
                        "and a character n-gram table has no bigrams");
        return -1;
    }
    self->gram_min = gram_min;
    self->gram_max = gram_max;
    self->gram_limit = gram_limit;

    Py_UCS4 *chars;
    Py_ssize_t count;
    if (read_chars(split_chars, &chars, &count) < 0)
        return -1;
    memset(self->ascii_split, 0, sizeof(self->ascii_split));
    self->split_chars = PyMem_Malloc((size_t)(count ? count : 1) * sizeof(Py_UCS4));
    if (self->split_chars == NULL) {
        PyMem_Free(chars);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        if (chars[i] < 128)
            self->ascii_split[chars[i]] = 1;
        else
            self->split_chars[self->split_count++] = chars[i];
    }
    PyMem_Free(chars);
    qsort(self->split_chars, (size_t)self->split_count, sizeof(Py_UCS4), compare_chars);
    if (read_chars(separators, &self->separators, &self->separator_count) < 0)
        return -1;

    PyObject *ranges = PySequence_Fast(split_ranges, "split_ranges must be a sequence of (first, last) pairs");
    if (ranges == NULL)
        return -1;
    self->range_count = PySequence_Fast_GET_SIZE(ranges);
    self->split_ranges = PyMem_Malloc((size_t)(self->range_count ? self->range_count : 1) * sizeof(Py_UCS4[2]));
    if (self->split_ranges == NULL) {
        Py_DECREF(ranges);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < self->range_count; i++) {
        long first, last;
        PyObject *pair = PySequence_Fast_GET_ITEM(ranges, i);
        if (!PyTuple_Check(pair) || !PyArg_ParseTuple(pair, "ll", &first, &last) || first < 0 || first > last ||
            last > 0x10FFFF) {
            Py_DECREF(ranges);
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "a split range must be (first, last) code points, first <= last");
            return -1;
        }
        self->split_ranges[i][0] = (Py_UCS4)first;
        self->split_ranges[i][1] = (Py_UCS4)last;
        for (long ch = first; ch <= last && ch < 128; ch++) /* is_split reads ASCII from the table alone */
            self->ascii_split[ch] = 1;
    }
    Py_DECREF(ranges);

    Py_ssize_t total = PyDict_GET_SIZE(unigrams) + PyDict_GET_SIZE(bigrams);
    if (total >= INT32_MAX / 4) {
        PyErr_SetString(PyExc_OverflowError, "too many features");
        return -1;
    }
    self->entries = PyMem_Malloc((size_t)(total ? total : 1) * sizeof(Entry));
    if (self->entries == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    PyObject *key, *value;
    Py_ssize_t position = 0;
    while (PyDict_Next(unigrams, &position, &key, &value)) {
        if (add_entry(self, key, NULL, value, total) < 0)
            return -1;
    }
    position = 0;
    while (PyDict_Next(bigrams, &position, &key, &value)) {
        if (!PyTuple_Check(key) || PyTuple_GET_SIZE(key) != 2) {
            PyErr_SetString(PyExc_TypeError, "bigram keys must be pairs of str");
            return -1;
        }
        if (add_entry(self, PyTuple_GET_ITEM(key, 0), PyTuple_GET_ITEM(key, 1), value, total) < 0)
            return -1;
    }
    if (self->entry_count != total) { /* cannot happen: nothing above runs Python code */
        PyErr_SetString(PyExc_RuntimeError, "the feature dicts changed while the table was built");
        return -1;
    }
    if (self->blob_length > 0 && self->blob_length < self->blob_capacity) { /* give back the growth slack */
        Py_UCS4 *blob = PyMem_Realloc(self->blob, (size_t)self->blob_length * sizeof(Py_UCS4));
        if (blob != NULL) {
            self->blob = blob;
            self->blob_capacity = self->blob_length;
        }
    }
    uint64_t size = 16;
    while (size < (uint64_t)total * 2)
        size *= 2;
    self->mask = size - 1;
    self->slots = PyMem_Malloc((size_t)size * sizeof(int32_t));
    if (self->slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (uint64_t i = 0; i < size; i++)
        self->slots[i] = EMPTY;
    for (Py_ssize_t i = 0; i < self->entry_count; i++)
        insert_slot(self, i);
    self->ready = 1;
    return 0;
}

static inline int
is_separator(const FeatureTable *self, Py_UCS4 ch)
{
    if (Py_UNICODE_ISSPACE(ch))
        return 1;
    for (Py_ssize_t i = 0; i < self->separator_count; i++) {
        if (self->separators[i] == ch)
            return 1;
    }
    return 0;
}

static inline int
is_split(const FeatureTable *self, Py_UCS4 ch)
{
    if (ch < 128)
        return self->ascii_split[ch];
    for (Py_ssize_t i = 0; i < self->range_count; i++) {
        if (self->split_ranges[i][0] <= ch && ch <= self->split_ranges[i][1])
            return 1;
    }
    Py_ssize_t low = 0, high = self->split_count;
    while (low < high) {
        Py_ssize_t middle = (low + high) / 2;
        if (self->split_chars[middle] < ch)
            low = middle + 1;
        else
            high = middle;
    }
    return low < self->split_count && self->split_chars[low] == ch;
}

static inline int
span_equals(const FeatureTable *self, int32_t offset, int32_t length, int kind, const void *data,
            Py_ssize_t start, Py_ssize_t end)
{
    if (length != end - start)
        return 0;
    const Py_UCS4 *stored = self->blob + offset;
    for (Py_ssize_t i = 0; i < length; i++) {
        if (stored[i] != PyUnicode_READ(kind, data, start + i))
            return 0;
    }
    return 1;
}

/* The packed value of a unigram (second_start < 0) or bigram, 0 when the table does not hold it. */
static inline int64_t
lookup(const FeatureTable *self, uint64_t hash, int kind, const void *data, Py_ssize_t first_start,
       Py_ssize_t first_end, Py_ssize_t second_start, Py_ssize_t second_end)
{
    uint64_t position = hash & self->mask;
    for (;;) {
        int32_t index = self->slots[position];
        if (index == EMPTY)
            return 0;
        const Entry *entry = &self->entries[index];
        if (entry->hash == hash && (entry->second_length < 0) == (second_start < 0) &&
            span_equals(self, entry->first_offset, entry->first_length, kind, data, first_start, first_end) &&
            (second_start < 0 || span_equals(self, entry->second_offset, entry->second_length, kind, data,
                                             second_start, second_end)))
            return entry->value;
        position = (position + 1) & self->mask;
    }
}

/* The end of the token that starts at i (a split-off character is a token of its own); i itself when a
 * separator starts there. */
static inline Py_ssize_t
token_end(const FeatureTable *self, int kind, const void *data, Py_ssize_t length, Py_ssize_t i)
{
    Py_UCS4 ch = PyUnicode_READ(kind, data, i);
    if (is_split(self, ch))
        return i + 1;
    if (is_separator(self, ch))
        return i;
    Py_ssize_t end = i + 1;
    while (end < length) {
        Py_UCS4 next = PyUnicode_READ(kind, data, end);
        if (is_split(self, next) || is_separator(self, next))
            break;
        end++;
    }
    return end;
}

/* Adds the weights of the character n-grams of one token, padded with a space on each side, to *total and
 * their number to *grams (stopping at gram_limit): linear.char_grams, gram for gram. */
static int
add_char_grams(const FeatureTable *self, int kind, const void *data, Py_ssize_t start, Py_ssize_t end,
               Py_UCS4 *padded, int64_t *total, Py_ssize_t *grams)
{
    Py_ssize_t size = end - start + 2;
    padded[0] = ' ';
    for (Py_ssize_t i = start; i < end; i++)
        padded[i - start + 1] = PyUnicode_READ(kind, data, i);
    padded[size - 1] = ' ';
    for (Py_ssize_t first = 0; first + self->gram_min <= size; first++) {
        uint64_t hash = 1469598103934665603ULL; /* hash_span, grown one code point at a time */
        for (Py_ssize_t last = first; last < size && last - first < self->gram_max; last++) {
            hash ^= (uint64_t)padded[last];
            hash *= 1099511628211ULL;
            if (last - first + 1 < self->gram_min)
                continue;
            int64_t value = lookup(self, hash & ~1ULL, PyUnicode_4BYTE_KIND, padded, first, last + 1, -1, -1);
            if (__builtin_add_overflow(*total, value, total))
                return -1;
            if (++*grams >= self->gram_limit)
                return 1;
        }
    }
    return 0;
}

static PyObject *
FeatureTable_score(FeatureTable *self, PyObject *text)
{
    if (usable_text(text, self->ready, "FeatureTable") < 0)
        return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    Py_ssize_t tokens = 0, grams = 0, previous_start = -1, previous_end = -1, i = 0;
    uint64_t previous_hash = 0;
    int64_t total = 0;
    Py_UCS4 *padded = NULL; /* character mode: one token and its two pads */
    if (self->gram_max > 0) {
        padded = PyMem_Malloc((size_t)(length + 2) * sizeof(Py_UCS4));
        if (padded == NULL)
            return PyErr_NoMemory();
    }
    while (i < length && tokens < self->token_limit) {
        Py_ssize_t start = i, end = token_end(self, kind, data, length, i);
        if (end == start) {
            i++;
            continue;
        }
        tokens++;
        i = end;
        if (padded != NULL) {
            int done = add_char_grams(self, kind, data, start, end, padded, &total, &grams);
            if (done < 0)
                goto overflow;
            if (done > 0)
                break;
            continue;
        }
        uint64_t hash = hash_span(kind, data, start, end);
        int64_t value = lookup(self, hash & ~1ULL, kind, data, start, end, -1, -1);
        if (previous_start >= 0) {
            int64_t pair = lookup(self, hash_pair(previous_hash, hash), kind, data, previous_start, previous_end,
                                  start, end);
            if (__builtin_add_overflow(value, pair, &value))
                goto overflow;
        }
        if (__builtin_add_overflow(total, value, &total))
            goto overflow;
        previous_start = start;
        previous_end = end;
        previous_hash = hash;
    }
    int char_mode = padded != NULL;
    PyMem_Free(padded);
    return Py_BuildValue("(Ln)", (long long)total, char_mode ? grams : tokens);
overflow:
    PyMem_Free(padded);
    PyErr_SetString(PyExc_OverflowError, "packed sum does not fit 64 bits");
    return NULL;
}

static PyObject *
FeatureTable_lookup(FeatureTable *self, PyObject *args)
{
    PyObject *first, *second = NULL;
    if (!PyArg_ParseTuple(args, "U|U", &first, &second))
        return NULL;
    if (!self->ready) {
        PyErr_SetString(PyExc_RuntimeError, "FeatureTable is not initialised");
        return NULL;
    }
    /* Two strings side by side in one buffer, so lookup() reads both spans from the same data. */
    PyObject *joined = second == NULL ? Py_NewRef(first) : PyUnicode_Concat(first, second);
    if (joined == NULL || PyUnicode_READY(joined) < 0) {
        Py_XDECREF(joined);
        return NULL;
    }
    int kind = PyUnicode_KIND(joined);
    const void *data = PyUnicode_DATA(joined);
    Py_ssize_t split = PyUnicode_GET_LENGTH(first), end = PyUnicode_GET_LENGTH(joined);
    uint64_t first_hash = hash_span(kind, data, 0, split);
    int64_t value;
    if (second == NULL)
        value = lookup(self, first_hash & ~1ULL, kind, data, 0, split, -1, -1);
    else
        value = lookup(self, hash_pair(first_hash, hash_span(kind, data, split, end)), kind, data, 0, split, split,
                       end);
    Py_DECREF(joined);
    return PyLong_FromLongLong((long long)value);
}

static void
FeatureTable_dealloc(FeatureTable *self)
{
    PyMem_Free(self->blob);
    PyMem_Free(self->entries);
    PyMem_Free(self->slots);
    PyMem_Free(self->split_chars);
    PyMem_Free(self->split_ranges);
    PyMem_Free(self->separators);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
FeatureTable_len(FeatureTable *self, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromSsize_t(self->entry_count);
}

static PyObject *
FeatureTable_nbytes(FeatureTable *self, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromSize_t((size_t)self->blob_capacity * sizeof(Py_UCS4) + (size_t)self->entry_count * sizeof(Entry) +
                             (size_t)(self->mask + 1) * sizeof(int32_t));
}

static PyMethodDef FeatureTable_methods[] = {
    {"score", (PyCFunction)FeatureTable_score, METH_O,
     "score(text) -> (packed sum of the unigram and bigram weights, number of tokens); with char_ngrams, "
     "(packed sum of the character n-gram weights, number of n-grams)"},
    {"lookup", (PyCFunction)FeatureTable_lookup, METH_VARARGS,
     "lookup(token) or lookup(first, second) -> the packed weights of one feature, 0 when absent"},
    {"feature_count", (PyCFunction)FeatureTable_len, METH_NOARGS, "number of stored features"},
    {"nbytes", (PyCFunction)FeatureTable_nbytes, METH_NOARGS, "bytes held by the table's arrays"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject FeatureTableType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "streams.enrich._featurise.FeatureTable",
    .tp_doc = PyDoc_STR("A linear model's packed feature weights, tokenised and looked up in C."),
    .tp_basicsize = sizeof(FeatureTable),
    .tp_itemsize = 0,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)FeatureTable_init,
    .tp_dealloc = (destructor)FeatureTable_dealloc,
    .tp_methods = FeatureTable_methods,
};


/* ---- CueMatcher: streams/enrich/cues.py's token-trie matching, in C ------------------------------------------
 *
 * CueMatcher(nodes, kinds) takes the trie CueSet built: nodes[i] = (end, kind, children, number_child), where
 * kind indexes kinds (-1: an exclusion), children maps a token to a node index and number_child is the index of
 * the node reached through <num> (-1: none); node 0 is the root. find(lowered) tokenises normalised text as
 * cues._CUE_TOKEN_RE does (a run of word characters, or any other non-space character on its own) and returns
 * {kind: count} exactly as CueSet.find_tokens does: from each token on, the longest cue starting there, matches
 * not overlapping, exclusions consumed but not counted.
 */

typedef struct {
    int32_t kind;         /* index into kinds, -1 for an exclusion */
    int32_t number_child; /* -1: none */
    char end;
    char has_children;
} CueNode;

typedef struct {
    uint64_t hash;
    int32_t parent;
    int32_t child;
    int32_t offset;
    int32_t length;
} CueEdge;

typedef struct {
    PyObject_HEAD
    CueNode *nodes;
    Py_ssize_t node_count;
    CueEdge *edges;
    Py_ssize_t edge_count;
    int32_t *slots;
    uint64_t mask;
    Py_UCS4 *blob;
    Py_ssize_t blob_length;
    PyObject *kinds; /* tuple of str */
    int ready;
    int started;
} CueMatcher;

typedef struct {
    Py_ssize_t start;
    Py_ssize_t end;
    uint64_t hash; /* hash_span of the token, computed once: a token is looked up from every node that reaches it */
} Span;

static inline uint64_t
edge_hash(int32_t parent, uint64_t token_hash)
{
    uint64_t hash = token_hash ^ ((uint64_t)(uint32_t)parent * 0x9E3779B97F4A7C15ULL);
    hash ^= hash >> 29;
    return hash;
}

static int
CueMatcher_init(CueMatcher *self, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"nodes", "kinds", NULL};
    PyObject *nodes, *kinds;
    if (self->started) {
        PyErr_SetString(PyExc_RuntimeError, "CueMatcher is already initialised");
        return -1;
    }
    self->started = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!O!", keywords, &PyList_Type, &nodes, &PyTuple_Type, &kinds))
        return -1;
    Py_ssize_t count = PyList_GET_SIZE(nodes), kind_count = PyTuple_GET_SIZE(kinds);
    if (count < 1 || count >= INT32_MAX / 4) {
        PyErr_SetString(PyExc_ValueError, "a cue trie needs a root and fewer than 2**29 nodes");
        return -1;
    }
    for (Py_ssize_t i = 0; i < kind_count; i++) {
        if (!PyUnicode_Check(PyTuple_GET_ITEM(kinds, i))) {
            PyErr_SetString(PyExc_TypeError, "kinds must be str");
            return -1;
        }
    }
    self->nodes = PyMem_Calloc((size_t)count, sizeof(CueNode));
    if (self->nodes == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->node_count = count;
    Py_ssize_t edge_total = 0, blob_total = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *node = PyList_GET_ITEM(nodes, i), *children, *key, *value;
        /* Checked by type, so that no Python code (__bool__, __index__) runs between this pass and the next. */
        if (!PyTuple_CheckExact(node) || PyTuple_GET_SIZE(node) != 4 || !PyBool_Check(PyTuple_GET_ITEM(node, 0)) ||
            !PyLong_CheckExact(PyTuple_GET_ITEM(node, 1)) || !PyDict_CheckExact(PyTuple_GET_ITEM(node, 2)) ||
            !PyLong_CheckExact(PyTuple_GET_ITEM(node, 3))) {
            PyErr_SetString(PyExc_TypeError, "a cue node is (end: bool, kind: int, children: dict, number_child: int)");
            return -1;
        }
        int end = PyTuple_GET_ITEM(node, 0) == Py_True;
        long kind = PyLong_AsLong(PyTuple_GET_ITEM(node, 1));
        long number_child = PyLong_AsLong(PyTuple_GET_ITEM(node, 3));
        if ((kind == -1 || number_child == -1) && PyErr_Occurred())
            return -1;
        children = PyTuple_GET_ITEM(node, 2);
        if (kind < -1 || kind >= kind_count || number_child < -1 || number_child >= count) {
            PyErr_SetString(PyExc_ValueError, "a cue node's kind or <num> child is out of range");
            return -1;
        }
        Py_ssize_t position = 0;
        while (PyDict_Next(children, &position, &key, &value)) {
            if (!PyUnicode_CheckExact(key) || !PyLong_CheckExact(value)) {
                PyErr_SetString(PyExc_TypeError, "a cue node's children map str tokens to node indexes");
                return -1;
            }
            if (PyUnicode_READY(key) < 0)
                return -1;
            blob_total += PyUnicode_GET_LENGTH(key);
        }
        edge_total += PyDict_GET_SIZE(children);
        self->nodes[i].end = (char)end;
        self->nodes[i].kind = (int32_t)kind;
        self->nodes[i].number_child = (int32_t)number_child;
        self->nodes[i].has_children = (char)(PyDict_GET_SIZE(children) > 0 || number_child >= 0);
    }
    if (edge_total >= INT32_MAX / 4 || blob_total >= INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "cue trie too large");
        return -1;
    }
    self->edges = PyMem_Malloc((size_t)(edge_total ? edge_total : 1) * sizeof(CueEdge));
    self->blob = PyMem_Malloc((size_t)(blob_total ? blob_total : 1) * sizeof(Py_UCS4));
    uint64_t size = 16;
    while (size < (uint64_t)edge_total * 2)
        size *= 2;
    self->slots = PyMem_Malloc((size_t)size * sizeof(int32_t));
    if (self->edges == NULL || self->blob == NULL || self->slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->mask = size - 1;
    for (uint64_t i = 0; i < size; i++)
        self->slots[i] = EMPTY;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *children = PyTuple_GET_ITEM(PyList_GET_ITEM(nodes, i), 2), *key, *value;
        Py_ssize_t position = 0;
        while (PyDict_Next(children, &position, &key, &value)) {
            long child = PyLong_AsLong(value);
            if (child == -1 && PyErr_Occurred())
                return -1;
            if (child < 0 || child >= count) {
                PyErr_SetString(PyExc_ValueError, "a cue node's child index is out of range");
                return -1;
            }
            if (self->edge_count >= edge_total || self->blob_length + PyUnicode_GET_LENGTH(key) > blob_total) {
                PyErr_SetString(PyExc_RuntimeError, "the cue trie changed while it was read");
                return -1;
            }
            CueEdge *edge = &self->edges[self->edge_count];
            int kind = PyUnicode_KIND(key);
            const void *data = PyUnicode_DATA(key);
            Py_ssize_t length = PyUnicode_GET_LENGTH(key);
            for (Py_ssize_t j = 0; j < length; j++)
                self->blob[self->blob_length + j] = PyUnicode_READ(kind, data, j);
            edge->offset = (int32_t)self->blob_length;
            edge->length = (int32_t)length;
            edge->parent = (int32_t)i;
            edge->child = (int32_t)child;
            edge->hash = edge_hash((int32_t)i, hash_span(kind, data, 0, length));
            self->blob_length += length;
            uint64_t slot = edge->hash & self->mask;
            while (self->slots[slot] != EMPTY)
                slot = (slot + 1) & self->mask;
            self->slots[slot] = (int32_t)self->edge_count;
            self->edge_count++;
        }
    }
    Py_INCREF(kinds);
    self->kinds = kinds;
    self->ready = 1;
    return 0;
}

/* The child of node reached by the token text[start:end], -1 when there is none. */
static inline int32_t
cue_child(const CueMatcher *self, int32_t node, int kind, const void *data, Span token)
{
    Py_ssize_t start = token.start, end = token.end;
    uint64_t hash = edge_hash(node, token.hash);
    uint64_t slot = hash & self->mask;
    for (;;) {
        int32_t index = self->slots[slot];
        if (index == EMPTY)
            return -1;
        const CueEdge *edge = &self->edges[index];
        if (edge->hash == hash && edge->parent == node && edge->length == end - start) {
            const Py_UCS4 *stored = self->blob + edge->offset;
            Py_ssize_t i = 0;
            while (i < edge->length && stored[i] == PyUnicode_READ(kind, data, start + i))
                i++;
            if (i == edge->length)
                return edge->child;
        }
        slot = (slot + 1) & self->mask;
    }
}

/* cues._NUMBER_TOKEN_RE.fullmatch: one or more decimal digits, then an optional "k". */
static inline int
number_token(int kind, const void *data, Span span)
{
    Py_ssize_t end = span.end;
    if (end - span.start >= 2 && PyUnicode_READ(kind, data, end - 1) == 'k')
        end--;
    if (end <= span.start)
        return 0;
    for (Py_ssize_t i = span.start; i < end; i++) {
        if (!Py_UNICODE_ISDECIMAL(PyUnicode_READ(kind, data, i)))
            return 0;
    }
    return 1;
}

/* cues._number_end: the position after the number starting at position (10k, or 1 , 000). */
static Py_ssize_t
number_end(int kind, const void *data, const Span *spans, Py_ssize_t count, Py_ssize_t position)
{
    Span token = spans[position];
    position++;
    while (PyUnicode_READ(kind, data, token.end - 1) != 'k' && position + 1 < count &&
           spans[position].end - spans[position].start == 1 &&
           (PyUnicode_READ(kind, data, spans[position].start) == ',' ||
            PyUnicode_READ(kind, data, spans[position].start) == '.') &&
           number_token(kind, data, spans[position + 1])) {
        token = spans[position + 1];
        position += 2;
    }
    return position;
}

static inline int
is_word(Py_UCS4 ch)
{
    return Py_UNICODE_ISALNUM(ch) || ch == '_';
}

static PyObject *
CueMatcher_find(CueMatcher *self, PyObject *text)
{
    if (usable_text(text, self->ready, "CueMatcher") < 0)
        return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    Span small[256];
    Span *spans = small;
    if (length > 256) {
        spans = PyMem_Malloc((size_t)length * sizeof(Span));
        if (spans == NULL)
            return PyErr_NoMemory();
    }
    Py_ssize_t count = 0;
    for (Py_ssize_t i = 0; i < length;) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (is_word(ch)) {
            Py_ssize_t end = i + 1;
            while (end < length && is_word(PyUnicode_READ(kind, data, end)))
                end++;
            spans[count++] = (Span){i, end, hash_span(kind, data, i, end)};
            i = end;
        }
        else {
            if (!Py_UNICODE_ISSPACE(ch))
                spans[count++] = (Span){i, i + 1, hash_span(kind, data, i, i + 1)};
            i++;
        }
    }
    Py_ssize_t kind_count = PyTuple_GET_SIZE(self->kinds);
    Py_ssize_t counts_small[32], order_small[32];
    Py_ssize_t *counts = counts_small, *order = order_small, seen = 0;
    if (kind_count > 32) {
        counts = PyMem_Calloc((size_t)kind_count, sizeof(Py_ssize_t));
        order = PyMem_Malloc((size_t)kind_count * sizeof(Py_ssize_t));
        if (counts == NULL || order == NULL) {
            if (spans != small)
                PyMem_Free(spans);
            PyMem_Free(counts);
            PyMem_Free(order);
            return PyErr_NoMemory();
        }
    }
    else {
        memset(counts_small, 0, sizeof(counts_small));
    }
    const CueNode *nodes = self->nodes;
    Py_ssize_t free_from = 0; /* matches do not overlap: the next one starts here or later */
    for (Py_ssize_t index = free_from; index < count; index++) {
        if (index < free_from)
            continue;
        int32_t node = cue_child(self, 0, kind, data, spans[index]);
        Py_ssize_t position = index + 1;
        if (node < 0) {
            if (nodes[0].number_child < 0 || !number_token(kind, data, spans[index]))
                continue;
            node = nodes[0].number_child;
            position = number_end(kind, data, spans, count, index);
        }
        Py_ssize_t end = -1;
        int32_t found = -1;
        for (;;) {
            if (nodes[node].end) {
                end = position;
                found = nodes[node].kind;
            }
            if (position == count || !nodes[node].has_children)
                break;
            int32_t child = cue_child(self, node, kind, data, spans[position]);
            if (child >= 0) {
                position++;
            }
            else {
                if (nodes[node].number_child < 0 || !number_token(kind, data, spans[position]))
                    break;
                child = nodes[node].number_child;
                position = number_end(kind, data, spans, count, position);
            }
            node = child;
        }
        if (end >= 0) {
            free_from = end;
            if (found >= 0) {
                if (counts[found]++ == 0)
                    order[seen++] = found;
            }
        }
    }
    if (spans != small)
        PyMem_Free(spans);
    PyObject *result = PyDict_New();
    for (Py_ssize_t i = 0; result != NULL && i < seen; i++) {
        PyObject *number = PyLong_FromSsize_t(counts[order[i]]);
        if (number == NULL || PyDict_SetItem(result, PyTuple_GET_ITEM(self->kinds, order[i]), number) < 0)
            Py_CLEAR(result);
        Py_XDECREF(number);
    }
    if (counts != counts_small) {
        PyMem_Free(counts);
        PyMem_Free(order);
    }
    return result;
}

static void
CueMatcher_dealloc(CueMatcher *self)
{
    PyMem_Free(self->nodes);
    PyMem_Free(self->edges);
    PyMem_Free(self->slots);
    PyMem_Free(self->blob);
    Py_XDECREF(self->kinds);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef CueMatcher_methods[] = {
    {"find", (PyCFunction)CueMatcher_find, METH_O, "find(normalised_text) -> {kind: count}"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject CueMatcherType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "streams.enrich._featurise.CueMatcher",
    .tp_doc = PyDoc_STR("A cue set's token trie, tokenised and walked in C."),
    .tp_basicsize = sizeof(CueMatcher),
    .tp_itemsize = 0,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)CueMatcher_init,
    .tp_dealloc = (destructor)CueMatcher_dealloc,
    .tp_methods = CueMatcher_methods,
};

static struct PyModuleDef featurise_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "streams.enrich._featurise",
    .m_doc = PyDoc_STR("C featurisers for streams.enrich.linear and streams.enrich.cues (optional)."),
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__featurise(void)
{
    if (PyType_Ready(&FeatureTableType) < 0 || PyType_Ready(&CueMatcherType) < 0)
        return NULL;
    PyObject *module = PyModule_Create(&featurise_module);
    if (module == NULL)
        return NULL;
    if (PyModule_AddObjectRef(module, "FeatureTable", (PyObject *)&FeatureTableType) < 0 ||
        PyModule_AddObjectRef(module, "CueMatcher", (PyObject *)&CueMatcherType) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
