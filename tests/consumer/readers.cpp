// A downstream program of the opt-in readers (ovo::images, ovo::gzip): an ImageNet-style folder and
// a Fashion-MNIST directory, plain or gzip, read by dataset name.
#include <cstdio>

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
  return 0;
}
