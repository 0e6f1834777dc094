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

    # Beyond the suite: what a front end's "Run All" relies on (messaging spec, execute_request's
    # stop_on_error): after a failure, execute requests already queued are aborted, unrun (no
    # execution count, as ipykernel answers them); with stop_on_error false they all run.
    def run_queue(self, codes, stop_on_error):
        self.flush_channels()
        ids = [self.kc.execute(code, stop_on_error=stop_on_error) for code in codes]
        replies = {}
        while len(replies) < len(ids):
            reply = self.get_non_kernel_info_reply(timeout=jupyter_kernel_test.TIMEOUT)
            replies[reply["parent_header"]["msg_id"]] = reply["content"]
        self.flush_channels()
        return [replies[msg_id] for msg_id in ids]

    def test_queued_cells_after_an_error_are_aborted(self):
        first, second, third = self.run_queue(['throw new Error("stop here")', "1 + 1", "2 + 2"], True)
        self.assertEqual((first["status"], first["ename"], first["evalue"]), ("error", "Error", "stop here"))
        self.assertEqual(second, {"status": "aborted"})
        self.assertEqual(third, {"status": "aborted"})
        after = self.run_queue(["3 + 3"], True)[0]
        self.assertEqual(after["status"], "ok")

    def test_queued_cells_run_when_errors_are_allowed(self):
        first, second = self.run_queue(['throw new Error("go on")', "1 + 1"], False)
        self.assertEqual(first["status"], "error")
        self.assertEqual(second["status"], "ok")


if __name__ == "__main__":
    unittest.main()
