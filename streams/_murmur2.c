/* Kafka's murmur2, as the Java producer computes it for keyed records (org.apache.kafka.common.utils.Utils).
 * streams.partitioning uses it for the topics other programs write; its Python version gives the same results
 * (tests/unit/test_partitioning.py) and is used where this extension was not built. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

static uint32_t murmur2(const uint8_t *data, Py_ssize_t length) {
    const uint32_t m = 0x5bd1e995;
    uint32_t h = 0x9747b28c ^ (uint32_t)length;
    Py_ssize_t whole = length / 4;
    for (Py_ssize_t i = 0; i < whole; i++) {
        const uint8_t *p = data + 4 * i;
        uint32_t k = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
        k *= m;
        k ^= k >> 24;
        k *= m;
        h *= m;
        h ^= k;
    }
    const uint8_t *tail = data + 4 * whole;
    switch (length % 4) {
        case 3:
            h ^= (uint32_t)tail[2] << 16; /* fall through */
        case 2:
            h ^= (uint32_t)tail[1] << 8; /* fall through */
        case 1:
            h ^= (uint32_t)tail[0];
            h *= m;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return h;
}

static PyObject *kafka_partition(PyObject *self, PyObject *args) {
    Py_buffer key;
    Py_ssize_t partitions;
    if (!PyArg_ParseTuple(args, "y*n", &key, &partitions)) {
        return NULL;
    }
    if (partitions <= 0) {
        PyBuffer_Release(&key);
        PyErr_SetString(PyExc_ValueError, "partitions must be positive");
        return NULL;
    }
    uint32_t h = murmur2((const uint8_t *)key.buf, key.len);
    PyBuffer_Release(&key);
    return PyLong_FromSsize_t((Py_ssize_t)(h & 0x7fffffff) % partitions);
}

static PyMethodDef methods[] = {
    {"kafka_partition", kafka_partition, METH_VARARGS, "Java's toPositive(murmur2(key)) % partitions."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_murmur2", NULL, -1, methods};

PyMODINIT_FUNC PyInit__murmur2(void) { return PyModule_Create(&module); }
