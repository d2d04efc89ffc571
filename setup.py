"""Build glue: cffi compiles gearman_cffi._libgearman from build_ffi.py.

cffi builds the extension against CPython's limited API (``_libgearman.abi3.so``),
so one wheel serves every CPython from 3.9 on: the bdist_wheel below tags it
``cp39-abi3``.  Free-threaded CPython has no limited API, so it keeps its own tag.
"""

import sys
import sysconfig

from setuptools import setup

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools < 70.1
    from wheel.bdist_wheel import bdist_wheel  # type: ignore[no-redef]


class AbiThreeWheel(bdist_wheel):  # type: ignore[misc]
    def finalize_options(self) -> None:
        limited_api_available = sys.implementation.name == "cpython" and not sysconfig.get_config_var("Py_GIL_DISABLED")
        if limited_api_available:
            self.py_limited_api = "cp39"
        super().finalize_options()


setup(cffi_modules=["build_ffi.py:ffibuilder"], cmdclass={"bdist_wheel": AbiThreeWheel})
