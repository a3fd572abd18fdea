// The ViT spaces of the module (their supernets included): the named ones and the run-time one.
#include "common/spaces.hpp"
#include "space_table.hpp"
#include "supernet_handle.hpp"

namespace ovo::python {

std::vector<named_space> vit_spaces() {
  using namespace ovo::app;
  return named_spaces(fashion_mnist_entry, cifar100_tiny_entry, cifar100_small_entry,
                      cifar100_base_entry, cifar100_tiny_224_entry, cifar100_small_224_entry,
                      cifar100_base_224_entry, imagenet_tiny_entry, imagenet_small_entry,
                      imagenet_base_entry, imagenette_tiny_entry);
}

std::unique_ptr<space_handle> make_runtime_vit_space(const vit_space_choices& choices) {
  choices.validate();
  return std::make_unique<space_model<runtime_vit_space<>, installed_vit_choices>>(
      installed_vit_choices{choices});
}

}  // namespace ovo::python
