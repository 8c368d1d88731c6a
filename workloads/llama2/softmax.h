// Float softmax in place, with run.c's operation order (max, exp(x - max), sum, divide):
// shared by the float forward pass and the sampler, as run.c has one softmax.
#pragma once
#include <cmath>

namespace slm::llama2 {

inline void softmax(float* x, int size) {
  float max_val = x[0];
  for (int i = 1; i < size; i++)
    if (x[i] > max_val) max_val = x[i];
  float sum = 0.0f;
  for (int i = 0; i < size; i++) {
    x[i] = expf(x[i] - max_val);
    sum += x[i];
  }
  for (int i = 0; i < size; i++) x[i] /= sum;
}

}  // namespace slm::llama2
