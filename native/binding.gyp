{
  "targets": [
    {
      "target_name": "elbo_blas",
      "sources": ["src/elbo_blas.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-O3", "-fno-trapping-math"],
      "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-O3"]},
      "conditions": [
        ["OS=='mac'", {
          "defines": ["ELBO_USE_ACCELERATE", "ACCELERATE_NEW_LAPACK"],
          "libraries": ["-framework Accelerate"]
        }],
        ["OS=='linux'", {
          "libraries": ["-lopenblas"]
        }],
        ["OS=='win'", {
          "libraries": ["openblas.lib"]
        }]
      ]
    }
  ]
}
