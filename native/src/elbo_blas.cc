// ELBO Lab native BLAS addon: single-precision GEMM (plus bias and ReLU/ReLU6) on
// Float32Arrays that are views of the tfjs wasm heap, so tensors are read and written
// in place: no copy in, no copy out. The JS side (src/engine/kernels/nativeBlas.ts)
// turns tfjs tensors into heap offsets; this file only checks bounds and calls BLAS.
#include <napi.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <utility>

#ifdef ELBO_USE_ACCELERATE
#include <Accelerate/Accelerate.h>
#else
#include <cblas.h>
#endif

namespace {

bool ReadSize(const Napi::CallbackInfo& info, size_t index, int64_t* out) {
  if (!info[index].IsNumber()) return false;
  const double v = info[index].As<Napi::Number>().DoubleValue();
  if (!(v >= 0) || v > 9007199254740991.0 || v != static_cast<double>(static_cast<int64_t>(v))) return false;
  *out = static_cast<int64_t>(v);
  return true;
}

Napi::Value Fail(Napi::Env env, const std::string& message) {
  Napi::RangeError::New(env, "elbo_blas.gemm: " + message).ThrowAsJavaScriptException();
  return env.Undefined();
}

// gemm(heap, batch, M, N, K, transA, transB,
//      aOffset, aBatchStride, bOffset, bBatchStride, cOffset,
//      biasOffset, biasSize, activation)
// Offsets and strides count floats in `heap`. For each batch index i:
//   C_i[M,N] = op(A_i)·op(B_i) (+ bias broadcast over rows) then activation
// with A_i at aOffset + i·aBatchStride (stride 0 broadcasts one matrix over the batch).
// biasSize 0 means no bias, 1 a scalar, N a row vector. activation: 0 linear, 1 relu, 2 relu6.
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 15) return Fail(env, "expected 15 arguments");
  if (!info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    return Fail(env, "heap must be a Float32Array");
  }
  Napi::Float32Array heap = info[0].As<Napi::Float32Array>();
  float* base = heap.Data();
  const int64_t length = static_cast<int64_t>(heap.ElementLength());

  int64_t batch, M, N, K, aOff, aStride, bOff, bStride, cOff, biasOff, biasSize, act;
  if (!ReadSize(info, 1, &batch) || !ReadSize(info, 2, &M) || !ReadSize(info, 3, &N) ||
      !ReadSize(info, 4, &K) || !ReadSize(info, 7, &aOff) || !ReadSize(info, 8, &aStride) ||
      !ReadSize(info, 9, &bOff) || !ReadSize(info, 10, &bStride) || !ReadSize(info, 11, &cOff) ||
      !ReadSize(info, 12, &biasOff) || !ReadSize(info, 13, &biasSize) || !ReadSize(info, 14, &act)) {
    return Fail(env, "sizes, offsets and strides must be non-negative integers");
  }
  if (!info[5].IsBoolean() || !info[6].IsBoolean()) return Fail(env, "transA/transB must be booleans");
  const bool transA = info[5].As<Napi::Boolean>().Value();
  const bool transB = info[6].As<Napi::Boolean>().Value();
  if (act > 2) return Fail(env, "activation must be 0 (linear), 1 (relu) or 2 (relu6)");
  if (biasSize != 0 && biasSize != 1 && biasSize != N) return Fail(env, "biasSize must be 0, 1 or N");
  if (M > INT32_MAX || N > INT32_MAX || K > INT32_MAX) return Fail(env, "dimension too large for BLAS");
  if (batch == 0 || M == 0 || N == 0) return env.Undefined();

  // Every matrix touched must lie inside the heap view.
  const int64_t last = batch - 1;
  if (aOff + last * aStride + M * K > length || bOff + last * bStride + K * N > length ||
      cOff + batch * M * N > length || biasOff + biasSize > length) {
    return Fail(env, "an operand lies outside the heap");
  }

  const int lda = static_cast<int>(transA ? M : K);
  const int ldb = static_cast<int>(transB ? K : N);
  const int ldc = static_cast<int>(N);
  for (int64_t i = 0; i < batch; ++i) {
    const float* a = base + aOff + i * aStride;
    const float* b = base + bOff + i * bStride;
    float* c = base + cOff + i * M * N;
    float beta = 0.0f;
    if (biasSize > 0) {
      // Seed C with the bias rows and let GEMM accumulate onto it (beta = 1).
      const float* bias = base + biasOff;
      for (int64_t r = 0; r < M; ++r) {
        float* row = c + r * N;
        if (biasSize == 1) std::fill(row, row + N, bias[0]);
        else std::copy(bias, bias + N, row);
      }
      beta = 1.0f;
    }
    if (K == 0) {
      if (beta == 0.0f) std::fill(c, c + M * N, 0.0f);
    } else {
      cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
                  transB ? CblasTrans : CblasNoTrans, static_cast<int>(M),
                  static_cast<int>(N), static_cast<int>(K), 1.0f, a, lda, b, ldb, beta, c, ldc);
    }
    if (act == 1) {
      for (int64_t j = 0; j < M * N; ++j) c[j] = c[j] > 0.0f ? c[j] : 0.0f;
    } else if (act == 2) {
      for (int64_t j = 0; j < M * N; ++j) c[j] = std::min(std::max(c[j], 0.0f), 6.0f);
    }
  }
  return env.Undefined();
}

// e^−a for a = |x| ≥ 0, branch-free so loops over it vectorise (libm's expf is a scalar
// call): e^−a = 2^k · e^r with k = round(−a·log2 e), |r| ≤ ½ ln 2 (ln 2 split hi + lo), and
// e^r = 1 + r + r²·Q(r) with Q a near-minimax quartic (7e-8 relative), evaluated by Estrin's
// scheme: shorter dependency chains than Horner's, which is what bounds these loops. 0 beyond
// a = 87 (e^−87 is the last normal float scale). NaN input gives an unspecified value:
// callers select NaN themselves.
inline float ExpNegAbs(float a) {
  const float ac = a > 87.0f ? 87.0f : a;
  const float kf = static_cast<float>(static_cast<int32_t>(-ac * 1.44269504088896341f - 0.5f));
  const float r = (-ac - kf * 0.693145751953125f) - kf * 1.428606765330187e-6f;
  const float r2 = r * r;
  const float q01 = 0.5f + 0.16666541993618011f * r;
  const float q23 = 0.04166685417294502f + 0.00836632214486599f * r;
  const float q = q01 + r2 * (q23 + r2 * 0.001389985205605626f);
  const float p = 1.0f + (r + r2 * q);
  const int32_t bits = (static_cast<int32_t>(kf) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return a > 87.0f ? 0.0f : p * scale;
}

// softplus(x) = log(1 + eˣ) = max(x, 0) + log1p(e^−|x|), with log1p(t) = 2·atanh(s),
// s = t / (2 + t) ≤ 1/3, and atanh(s)/s = Q(s²) a near-minimax quartic on s² ≤ 1/9; this keeps
// full relative accuracy for tiny t. Max relative error 2.5e-7 (float rounding of s sets the
// floor; the coefficients were fitted to it); NaN stays NaN.
inline float SoftplusOne(float x) {
  const float t = ExpNegAbs(x < 0.0f ? -x : x);  // in [0, 1]
  const float s = t / (2.0f + t);
  const float u = s * s;
  const float u2 = u * u;
  const float q = (1.0f + 0.33333125710487366f * u) +
                  u2 * ((0.20013301074504852f + 0.13972385227680206f * u) + u2 * 0.14111152291297913f);
  const float result = (x > 0.0f ? x : 0.0f) + 2.0f * s * q;
  return x != x ? x : result;
}

// σ(x) = 1 / (1 + e^−x), from t = e^−|x|: 1/(1 + t) for x ≥ 0, t/(1 + t) below (no overflow).
inline float SigmoidOne(float x) {
  const float t = ExpNegAbs(x < 0.0f ? -x : x);
  const float result = (x >= 0.0f ? 1.0f : t) / (1.0f + t);
  return x != x ? x : result;
}

// Reads (Float32Array heap, offsets/sizes...) for the elementwise functions below; throws a
// RangeError naming `name` and returns false when the arguments are not that.
bool ReadHeapArgs(const Napi::CallbackInfo& info, const char* name, size_t count, float** base,
                  int64_t* length, int64_t* values) {
  Napi::Env env = info.Env();
  if (info.Length() != count + 1 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    Napi::RangeError::New(env, std::string("elbo_blas.") + name + ": expected a Float32Array heap and " +
                                   std::to_string(count) + " offsets/sizes").ThrowAsJavaScriptException();
    return false;
  }
  for (size_t i = 0; i < count; ++i) {
    if (!ReadSize(info, i + 1, &values[i])) {
      Napi::RangeError::New(env, std::string("elbo_blas.") + name + ": offsets and sizes must be non-negative integers")
          .ThrowAsJavaScriptException();
      return false;
    }
  }
  Napi::Float32Array heap = info[0].As<Napi::Float32Array>();
  *base = heap.Data();
  *length = static_cast<int64_t>(heap.ElementLength());
  return true;
}

bool Inside(const Napi::CallbackInfo& info, const char* name, int64_t length,
            std::initializer_list<std::pair<int64_t, int64_t>> operands) {
  for (const auto& [offset, size] : operands) {
    if (offset + size > length) {
      Napi::RangeError::New(info.Env(), std::string("elbo_blas.") + name + ": an operand lies outside the heap")
          .ThrowAsJavaScriptException();
      return false;
    }
  }
  return true;
}

// softplus(heap, xOffset, outOffset, n): out[i] = softplus(x[i]), offsets in floats
// (x and out may be the same array: each element is read before it is written).
Napi::Value Softplus(const Napi::CallbackInfo& info) {
  float* base;
  int64_t length, a[3];
  if (!ReadHeapArgs(info, "softplus", 3, &base, &length, a)) return info.Env().Undefined();
  const int64_t n = a[2];
  if (!Inside(info, "softplus", length, {{a[0], n}, {a[1], n}})) return info.Env().Undefined();
  const float* x = base + a[0];
  float* out = base + a[1];
  for (int64_t i = 0; i < n; ++i) out[i] = SoftplusOne(x[i]);  // vectorised by -O3 (aliasing checked at run time)
  return info.Env().Undefined();
}

// One row of the Bernoulli negative log-likelihood, element by element (vectorised: the
// pointers do not alias): v[j] = softplus(l[j]) − x[j]·l[j] = −log p(x_j | l_j).
void BernoulliTerms(const float* __restrict l, const float* __restrict x, float* __restrict v, int64_t n) {
  for (int64_t j = 0; j < n; ++j) v[j] = SoftplusOne(l[j]) - x[j] * l[j];
}

// Sum in eight interleaved partial sums (vectorised without reassociation flags).
float SumOf(const float* v, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    for (int k = 0; k < 8; ++k) acc[k] += v[j + k];
  }
  float total = 0;
  for (; j < n; ++j) total += v[j];
  return total + ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

// bernoulliNll(heap, logitsOffset, xOffset, outOffset, rows, cols):
//   out[r] = Σ_c softplus(l[r,c]) − x[r,c]·l[r,c]  (−log p(x_r | logits l_r), summed over pixels)
Napi::Value BernoulliNll(const Napi::CallbackInfo& info) {
  float* base;
  int64_t length, a[5];
  if (!ReadHeapArgs(info, "bernoulliNll", 5, &base, &length, a)) return info.Env().Undefined();
  const int64_t rows = a[3], cols = a[4];
  if (!Inside(info, "bernoulliNll", length, {{a[0], rows * cols}, {a[1], rows * cols}, {a[2], rows}})) {
    return info.Env().Undefined();
  }
  float terms[1024];
  for (int64_t r = 0; r < rows; ++r) {
    float total = 0;
    for (int64_t c = 0; c < cols; c += 1024) {
      const int64_t n = std::min<int64_t>(1024, cols - c);
      BernoulliTerms(base + a[0] + r * cols + c, base + a[1] + r * cols + c, terms, n);
      total += SumOf(terms, n);
    }
    base[a[2] + r] = total;
  }
  return info.Env().Undefined();
}

void BernoulliGradRow(const float* __restrict l, const float* __restrict x, float dy, float* __restrict out, int64_t n) {
  for (int64_t j = 0; j < n; ++j) out[j] = dy * (SigmoidOne(l[j]) - x[j]);
}

// bernoulliNllGrad(heap, logitsOffset, xOffset, dyOffset, outOffset, rows, cols):
//   out[r,c] = dy[r]·(σ(l[r,c]) − x[r,c])  (the gradient of bernoulliNll's row r w.r.t. l[r,c])
Napi::Value BernoulliNllGrad(const Napi::CallbackInfo& info) {
  float* base;
  int64_t length, a[6];
  if (!ReadHeapArgs(info, "bernoulliNllGrad", 6, &base, &length, a)) return info.Env().Undefined();
  const int64_t rows = a[4], cols = a[5];
  if (!Inside(info, "bernoulliNllGrad", length,
              {{a[0], rows * cols}, {a[1], rows * cols}, {a[2], rows}, {a[3], rows * cols}})) {
    return info.Env().Undefined();
  }
  for (int64_t r = 0; r < rows; ++r) {
    BernoulliGradRow(base + a[0] + r * cols, base + a[1] + r * cols, base[a[2] + r], base + a[3] + r * cols, cols);
  }
  return info.Env().Undefined();
}

void ReluBackwardLoop(const float* __restrict y, const float* __restrict dy, float* __restrict out, int64_t n) {
  // NaN in y propagates (as tfjs's step does), so a diverging layer is not silently zeroed.
  for (int64_t j = 0; j < n; ++j) {
    const float yj = y[j];
    const float g = dy[j];  // loaded unconditionally so the selects below vectorise
    const float kept = yj > 0.0f ? g : 0.0f;
    out[j] = yj != yj ? yj : kept;
  }
}

// reluBackward(heap, yOffset, dyOffset, outOffset, n): out = dy where y > 0, else 0 (y is the
// ReLU's output, so y > 0 exactly where its input was).
Napi::Value ReluBackward(const Napi::CallbackInfo& info) {
  float* base;
  int64_t length, a[4];
  if (!ReadHeapArgs(info, "reluBackward", 4, &base, &length, a)) return info.Env().Undefined();
  const int64_t n = a[3];
  if (!Inside(info, "reluBackward", length, {{a[0], n}, {a[1], n}, {a[2], n}})) return info.Env().Undefined();
  ReluBackwardLoop(base + a[0], base + a[1], base + a[2], n);
  return info.Env().Undefined();
}

Napi::Value Info(const Napi::CallbackInfo& info) {
#if defined(ELBO_USE_ACCELERATE)
  return Napi::String::New(info.Env(), "Accelerate");
#elif defined(OPENBLAS_VERSION)
  std::string s = std::string(openblas_get_config()) +
                  " threads=" + std::to_string(openblas_get_num_threads());
  return Napi::String::New(info.Env(), s);
#else
  return Napi::String::New(info.Env(), "CBLAS");
#endif
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("gemm", Napi::Function::New(env, Gemm));
  exports.Set("softplus", Napi::Function::New(env, Softplus));
  exports.Set("bernoulliNll", Napi::Function::New(env, BernoulliNll));
  exports.Set("bernoulliNllGrad", Napi::Function::New(env, BernoulliNllGrad));
  exports.Set("reluBackward", Napi::Function::New(env, ReluBackward));
  exports.Set("info", Napi::Function::New(env, Info));
  return exports;
}

}  // namespace

NODE_API_MODULE(elbo_blas, Init)
