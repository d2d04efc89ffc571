"""Build glue: cffi compiles gearman_cffi._libgearman from build_ffi.py."""

from setuptools import setup

setup(cffi_modules=["build_ffi.py:ffibuilder"])
