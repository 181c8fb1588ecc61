"""Only the optional C speed-up lives here; the project's metadata is in pyproject.toml.

``streams/enrich/_featurise.c`` holds the sentiment models' featuriser and the intent/urgency cue matcher (see
its header). It is optional: where no C compiler or Python headers are found the build goes on without it, and
``streams.enrich.linear`` and ``streams.enrich.cues`` use their Python paths, which give the same results.
``streams/_murmur2.c`` is Kafka's murmur2 partition (``streams.partitioning``), optional in the same way.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "streams.enrich._featurise",
            sources=["streams/enrich/_featurise.c"],
            optional=True,
            extra_compile_args=["-O2"],
        ),
        Extension(  # Kafka's murmur2 partition for the topics other programs write (streams.partitioning)
            "streams._murmur2", sources=["streams/_murmur2.c"], optional=True, extra_compile_args=["-O2"]
        ),
    ]
)
