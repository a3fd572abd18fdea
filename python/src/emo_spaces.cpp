// The EMO (iRMB) spaces of the module, their supernets included.
#include "common/spaces.hpp"
#include "space_table.hpp"
#include "supernet_handle.hpp"

namespace ovo::python {

std::vector<named_space> emo_spaces() {
  using namespace ovo::app;
  return named_spaces(emo_fashion_mnist_entry, emo_cifar100_entry, emo_imagenet_entry);
}

}  // namespace ovo::python
