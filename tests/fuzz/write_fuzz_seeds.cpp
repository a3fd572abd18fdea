// Writes the fuzz targets' seed corpora (small valid files of each format) under a directory:
// write_fuzz_seeds tests/fuzz/corpus
#include <turbojpeg.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <ovo/backend/cpu.hpp>
#include <ovo/data/cifar.hpp>
#include <ovo/data/idx.hpp>
#include <ovo/io/checkpoint.hpp>
#include <ovo/io/subnet_export.hpp>
#include <ovo/nn/vit_supernet.hpp>
#include <ovo/space/presets.hpp>

#include "../data/image_file_writers.hpp"
#include "fuzz_support.hpp"
#include "small_trainer.hpp"

namespace {

namespace fs = std::filesystem;
using bytes = std::vector<std::uint8_t>;

void write(const fs::path& file, std::span<const std::uint8_t> content) {
  ovo::io::write_file_atomically(file, std::as_bytes(content));
}

void append_big_endian_u32(bytes& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<std::uint8_t>(value >> shift));
}

// `content` compressed as a gzip member (zlib writes no timestamp, so the bytes are reproducible).
bytes gzipped(std::span<const std::uint8_t> content) {
  z_stream stream{};
  if (::deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  bytes out(::deflateBound(&stream, content.size()));
  stream.next_in = const_cast<std::uint8_t*>(content.data());
  stream.avail_in = static_cast<unsigned>(content.size());
  stream.next_out = out.data();
  stream.avail_out = static_cast<unsigned>(out.size());
  const int result = ::deflate(&stream, Z_FINISH);
  ::deflateEnd(&stream);
  if (result != Z_STREAM_END) throw std::runtime_error("deflate failed");
  out.resize(stream.total_out);
  return out;
}

// The subnet files and a checkpoint of a small supernet with deterministic weights.
void write_safetensors_seeds(const fs::path& corpus) {
  using space = ovo::fuzz::small_space;
  using backend = ovo::cpu<float>;
  ovo::vit_supernet<backend> net(space::shape(), 1);
  ovo::rng_engine rng(7);
  net.initialize(rng);
  const ovo::arch mixed{8, 2, {1, 2}, {2.0, 1.0}};
  for (const auto& [name, a] :
       {std::pair{"smallest", space::smallest()}, {"largest", space::largest()}, {"mixed", mixed}})
    ovo::io::export_subnet(corpus / "subnet" / (std::string(name) + ".safetensors"), net, a);

  ovo::adamw<backend> optimizer(net.parameters(), {});
  ovo::io::save_checkpoint(corpus / "checkpoint" / "initial.safetensors", net, optimizer, rng);
  optimizer.set_steps(12);
  ovo::io::save_checkpoint(corpus / "checkpoint" / "step12.safetensors", net, optimizer, rng,
                           {{"epoch", "3"}});

  // A trainer's checkpoint (its identity and own fields too), and one with a logged interval.
  ovo::fuzz::no_batch_loader loader;
  const fs::path trainer_file = corpus / "checkpoint" / "trainer.safetensors";
  ovo::fuzz::small_trainer(net, loader, ovo::fuzz::small_trainer_options(trainer_file))
      .save_checkpoint();
  auto file = ovo::io::safetensors::load(trainer_file);
  file.metadata["trainer.history"] =
      R"([{"step":50,"epoch":1,"lr":0.0005,"loss":2.3,"teacher_loss":2.1,"kl":0.2,)"
      R"("images_per_second":900.0,"data_wait_fraction":0.01}])";
  file.save(corpus / "checkpoint" / "trainer_history.safetensors");
}

void write_idx_seeds(const fs::path& corpus) {
  bytes images, labels;
  append_big_endian_u32(images, ovo::data::idx_images_magic);
  for (const std::uint32_t dim : {3u, 4u, 5u}) append_big_endian_u32(images, dim);
  for (int i = 0; i < 3 * 4 * 5; ++i) images.push_back(static_cast<std::uint8_t>(i * 17));
  append_big_endian_u32(labels, ovo::data::idx_labels_magic);
  append_big_endian_u32(labels, 3);
  for (const std::uint8_t label : {0, 9, 4}) labels.push_back(label);
  write(corpus / "idx" / "images-idx3-ubyte", images);
  write(corpus / "idx" / "labels-idx1-ubyte", labels);
  write(corpus / "idx" / "images-idx3-ubyte.gz", gzipped(images));
  write(corpus / "idx" / "labels-idx1-ubyte.gz", gzipped(labels));
}

void write_cifar_seeds(const fs::path& corpus) {
  for (const int label_bytes : {1, 2}) {
    bytes record;
    for (int i = 0; i < label_bytes; ++i) record.push_back(static_cast<std::uint8_t>(3 + i));
    for (std::size_t i = 0; i < ovo::data::cifar_pixel_bytes; ++i)
      record.push_back(static_cast<std::uint8_t>(i * 7 / 3));
    write(corpus / "cifar" / (label_bytes == 1 ? "cifar10.bin" : "cifar100.bin"), record);
  }
}

void write_arch_seeds(const fs::path& corpus) {
  const std::vector<std::string> archs = {
      ovo::arch_to_json(ovo::fuzz::small_space::largest()),
      ovo::arch_to_json(ovo::fashion_mnist_space::smallest()),
      R"({"embed": 192, "depth": 2, "heads": [3, 4], "mlp_ratio": [3.5, 4.0]})",
      R"({"depth":1,"embed":240,"heads":[4],"mlp_ratio":[3.5],"extra":null})"};
  for (std::size_t i = 0; i < archs.size(); ++i)
    write(corpus / "arch_json" / ("arch" + std::to_string(i) + ".json"),
          std::span(reinterpret_cast<const std::uint8_t*>(archs[i].data()), archs[i].size()));
}

// A JPEG of a small gradient in `format` (TJPF_GRAY or TJPF_RGB).
bytes jpeg(int width, int height, int format, int subsampling, int flags) {
  const int channels = tjPixelSize[format];
  bytes pixels(static_cast<std::size_t>(width) * height * channels);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<std::uint8_t>(i * 29);
  const std::unique_ptr<void, int (*)(tjhandle)> handle(::tjInitCompress(), ::tjDestroy);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  if (::tjCompress2(handle.get(), pixels.data(), width, 0, height, format, &buffer, &size,
                    subsampling, 90, flags) != 0)
    throw std::runtime_error(std::string("tjCompress2: ") + ::tjGetErrorStr2(handle.get()));
  bytes out(buffer, buffer + size);
  ::tjFree(buffer);
  return out;
}

void write_image_seeds(const fs::path& corpus) {
  const fs::path dir = corpus / "image";
  write(dir / "gray.jpg", jpeg(8, 8, TJPF_GRAY, TJSAMP_GRAY, 0));
  write(dir / "rgb444.jpg", jpeg(16, 8, TJPF_RGB, TJSAMP_444, 0));
  write(dir / "rgb420_progressive.jpg", jpeg(17, 9, TJPF_RGB, TJSAMP_420, TJFLAG_PROGRESSIVE));
  bytes inks(8 * 8 * 4);
  for (std::size_t i = 0; i < inks.size(); ++i) inks[i] = static_cast<std::uint8_t>(i * 29);
  write(dir / "cmyk.jpg", ovo::test::encode_cmyk_jpeg(8, 8, inks));
  write(dir / "ycck.jpg", ovo::test::encode_ycck_jpeg(8, 8, inks));
  bytes samples(5 * 3 * 8);
  for (std::size_t i = 0; i < samples.size(); ++i) samples[i] = static_cast<std::uint8_t>(i * 37);
  write(dir / "gray.png", ovo::test::encode_png(5, 3, PNG_FORMAT_GRAY, samples.data()));
  write(dir / "rgba.png", ovo::test::encode_png(5, 3, PNG_FORMAT_RGBA, samples.data()));
  write(dir / "rgb16.png", ovo::test::encode_png(5, 3, PNG_FORMAT_LINEAR_RGB, samples.data()));
  const std::uint8_t palette[4 * 4] = {0, 0, 0, 255, 255, 0, 0, 255, 0, 255, 0, 128, 9, 9, 9, 0};
  bytes indices(5 * 3);
  for (std::size_t i = 0; i < indices.size(); ++i) indices[i] = static_cast<std::uint8_t>(i % 4);
  write(dir / "palette.png",
        ovo::test::encode_png(5, 3, PNG_FORMAT_RGBA_COLORMAP, indices.data(), palette, 4));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  const fs::path corpus = argv[1];
  for (const char* target : {"subnet", "checkpoint", "idx", "cifar", "arch_json", "image"})
    fs::create_directories(corpus / target);
  write_safetensors_seeds(corpus);
  write_idx_seeds(corpus);
  write_cifar_seeds(corpus);
  write_arch_seeds(corpus);
  write_image_seeds(corpus);
  return 0;
}
