"""The Jupyter project's kernel conformance suite (jupyter_kernel_test) against the elbo-lab kernel.

Run by test/kernel/conformance.test.ts: `python3 -m unittest test/kernel/conformance.py` with the
kernel findable by Jupyter. Each sample is TypeScript, as a student would type it.
"""
import os
import unittest

import jupyter_kernel_test


class ElboLabKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = os.environ.get("ELBO_LAB_KERNEL", "elbo-lab")
    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("to stderr")'
    code_generate_error = 'throw new Error("boom")'
    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": "'ab' + 'c'", "result": "'abc'"},
        {"code": "[1, 2].map((x) => x * 10)", "result": "[ 10, 20 ]"},
    ]
    code_display_data = [
        {"code": 'import * as tslab from "tslab";\ntslab.display.html("<b>bold</b>")', "mime": "text/html"},
        {"code": 'import * as tslab from "tslab";\ntslab.display.markdown("*slanted*")', "mime": "text/markdown"},
    ]
    complete_code_samples = ["1 + 1", "const answer = 42;", "function f() {\n  return 1;\n}"]
    incomplete_code_samples = ["function f() {", "const xs = [1, 2,"]
    completion_samples = [{"text": "Math.flo", "matches": {"floor"}}]
    code_inspect_sample = "Math.floor"
    code_history_pattern = "6 *"
    supported_history_operations = ("tail", "range", "search")


if __name__ == "__main__":
    unittest.main()
