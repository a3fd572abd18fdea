"""Conan 2 recipe of ovo: a thin wrapper over its CMake install (header-only; options add the
opt-in readers' and BLAS's dependencies). conan create . -o "ovo/*:with_images=True"."""

import os

from conan import ConanFile
from conan.tools.build import check_min_cppstd
from conan.tools.cmake import CMake, CMakeDeps, CMakeToolchain, cmake_layout
from conan.tools.files import rmdir

required_conan_version = ">=2.0"


class OvoConan(ConanFile):
    name = "ovo"
    version = "0.1.0"
    description = ("Header-only C++20 library for one-shot neural architecture search of vision "
                   "models: search spaces, weight-sharing supernets, samplers, evolutionary and "
                   "training-free search.")
    topics = ("neural-architecture-search", "vision-transformer", "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    options = {"with_images": [True, False], "with_gzip": [True, False],
               "with_blas": [True, False]}
    default_options = {"with_images": False, "with_gzip": False, "with_blas": False}
    exports_sources = "CMakeLists.txt", "cmake/*", "include/*"
    no_copy_source = True

    def layout(self):
        cmake_layout(self)

    def requirements(self):
        self.requires("eigen/3.4.0")
        self.requires("fmt/10.2.1")
        self.requires("nlohmann_json/3.11.3")
        if self.options.with_images or self.options.with_gzip:
            self.requires("zlib/[>=1.2.11 <2]")
        if self.options.with_images:
            self.requires("libjpeg-turbo/3.0.2")
            self.requires("libpng/[>=1.6 <2]")
        if self.options.with_blas:
            self.requires("openblas/0.3.27")

    def validate(self):
        check_min_cppstd(self, 20)

    def package_id(self):
        self.info.clear()

    def generate(self):
        toolchain = CMakeToolchain(self)
        for option in ("OVO_BUILD_TESTS", "OVO_BUILD_EXAMPLES", "OVO_BUILD_BENCHMARKS",
                       "OVO_BUILD_FUZZERS", "OVO_PYTHON", "OVO_CUDA"):
            toolchain.cache_variables[option] = False
        toolchain.cache_variables["OVO_USE_BLAS"] = bool(self.options.with_blas)
        toolchain.generate()
        CMakeDeps(self).generate()

    def build(self):
        CMake(self).configure()

    def package(self):
        CMake(self).install()
        # Conan's CMakeDeps writes the consumers' config files from package_info below.
        rmdir(self, os.path.join(self.package_folder, "lib"))
        rmdir(self, os.path.join(self.package_folder, "share"))

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "ovo")
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []
        core = self.cpp_info.components["core"]
        core.set_property("cmake_target_name", "ovo::ovo")
        core.set_property("pkg_config_name", "ovo")
        core.requires = ["eigen::eigen", "fmt::fmt", "nlohmann_json::nlohmann_json"]
        core.cxxflags = ["-fopenmp"]
        core.sharedlinkflags = core.exelinkflags = ["-fopenmp"]
        core.system_libs = ["pthread"]
        if self.options.with_gzip:
            gzip = self.cpp_info.components["gzip"]
            gzip.set_property("cmake_target_name", "ovo::gzip")
            gzip.requires = ["core", "zlib::zlib"]
        if self.options.with_images:
            images = self.cpp_info.components["images"]
            images.set_property("cmake_target_name", "ovo::images")
            images.requires = ["core", "zlib::zlib", "libjpeg-turbo::turbojpeg", "libpng::libpng"]
        if self.options.with_blas:
            blas = self.cpp_info.components["blas"]
            blas.set_property("cmake_target_name", "ovo::blas")
            blas.requires = ["core", "openblas::openblas"]
