// A downstream program of the opt-in components: an ImageNet-style folder and a Fashion-MNIST
// directory, plain or gzip, read by dataset name (ovo::images, ovo::gzip), and a product on the
// automatic GEMM policy (ovo::blas).
#include <cstdio>

#include <ovo/backend/cblas_gemm.hpp>
#include <ovo/data/gzip.hpp>
#include <ovo/data/image_folder_dataset.hpp>
#include <ovo/ovo.hpp>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s IMAGENET_DIR FASHION_MNIST_DIR\n", argv[0]);
    return 2;
  }
  namespace data = ovo::data;
  const auto folder =
      data::load_dataset<data::image_folder>("imagenet", argv[1], data::dataset_split::test);
  const auto mnist =
      data::load_dataset<data::image_set>("fashion-mnist", argv[2], data::dataset_split::test);
  const ovo::data::image_u8 first = folder.image(0);
  std::printf("%zu folder images (the first %dx%d), %zu Fashion-MNIST test images\n", folder.size(),
              first.width, first.height, mnist.size());
  using backend = ovo::cpu<float, ovo::auto_gemm>;
  float a[4] = {1, 2, 3, 4}, b[4] = {1, 0, 0, 1}, c[4] = {};
  backend::gemm(false, false, 1.0f, ovo::make_matrix_view<const float>(a, 2, 2),
                ovo::make_matrix_view<const float>(b, 2, 2), 0.0f, ovo::make_matrix_view(c, 2, 2));
  std::printf("products on %s: %g %g %g %g\n", ovo::auto_gemm::description().c_str(), c[0], c[1],
              c[2], c[3]);
  return c[3] == 4 ? 0 : 1;
}
