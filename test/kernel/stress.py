"""Send stress test of the elbo-lab kernel (issue 15), driven by test/kernel/stress.test.ts.

One cell displays many bundles, a good part of them several megabytes, prints to stdout between
them and writes some stderr, while this client keeps sending kernel_info_request on the control
channel (answered at once: the kernel publishes busy/idle on iopub between the cell's outputs) and
has kernel_info / is_complete requests waiting on shell. Run twice: a tight loop (no await between
outputs) and a loop that awaits between iterations. Then the kernel must still be alive and
answer `6 * 7`.

zeromq.js allows one send in progress per socket and resolves at most 512 sends in a row
synchronously; the next one is delayed to the event loop, and a send made before that (the next
output of a tight loop) fails with EBUSY. So each run here sends well over 512 iopub messages.

Usage: python3 stress.py   (the kernel is found by name, ELBO_LAB_KERNEL or elbo-lab, on
JUPYTER_PATH). Prints one line `STRESS-RESULT <json>` with what was observed; the caller asserts.
"""
import hashlib
import json
import os
import re
import tempfile
import time
from queue import Empty

from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager

KERNEL_NAME = os.environ.get("ELBO_LAB_KERNEL", "elbo-lab")
DEADLINE_S = float(os.environ.get("ELBO_LAB_STRESS_DEADLINE", "75"))

# name, outputs, every how many outputs one is big, stderr every, await between iterations
VARIANTS = [
    {"name": "tight", "n": 300, "big_every": 5, "stderr_every": 25, "await": False},
    {"name": "await", "n": 120, "big_every": 6, "stderr_every": 10, "await": True},
]
BIG_MIN = 2_000_000  # characters of a big payload: 2 to 4 MB
BIG_SPAN = 2_000_000

HTML_RE = re.compile(r'^<pre data-stress="(\d+)">(.*)</pre>$', re.S)


def cell_code(variant):
    """The TypeScript of one stress cell; every name is local to a block (cells share a scope)."""
    pause = "await new Promise((resolve) => setImmediate(resolve));" if variant["await"] else ""
    return f"""
{{
  const stressCrypto = require('crypto');
  const stressJupyter = require('tslab/dist/jupyter');
  for (let i = 0; i < {variant['n']}; i++) {{
    const size = i % {variant['big_every']} === 0 ? {BIG_MIN} + ((i * 7919) % {BIG_SPAN}) : 200 + i;
    const payload = stressCrypto.randomBytes(Math.ceil((size * 3) / 4) + 3).toString('base64').slice(0, size);
    const sum = stressCrypto.createHash('sha256').update(payload).digest('hex');
    stressJupyter.lastWriteDisplayData({{
      data: {{
        'text/plain': `stress ${{i}} ${{payload.length}} ${{sum}}`,
        'text/html': `<pre data-stress="${{i}}">${{payload}}</pre>`,
      }},
      metadata: {{}},
      transient: {{}},
    }});
    console.log(`stdout ${{i}}`);
    if (i % {variant['stderr_every']} === 0) console.error(`stderr ${{i}}`);
    {pause}
  }}
}}
"""


def expected_tokens(variant):
    tokens = []
    for i in range(variant["n"]):
        tokens += [f"D {i}", f"O {i}"]
        if i % variant["stderr_every"] == 0:
            tokens.append(f"E {i}")
    return tokens


def expected_sizes(variant):
    return [
        BIG_MIN + (i * 7919) % BIG_SPAN if i % variant["big_every"] == 0 else 200 + i
        for i in range(variant["n"])
    ]


class Client:
    def __init__(self, kc):
        self.kc = kc
        self.iopub = []  # every iopub message, in arrival order (big payloads replaced)
        self.shell = {}  # parent msg_id -> reply
        self.control = {}
        self.handlers = []  # callables(msg) for iopub, before the payload is dropped
        self.idle = set()  # parents whose idle status has arrived

    def pump(self, wait=0.02):
        """Take every message that is ready on iopub, shell and control; wait a little for iopub."""
        got = False
        for channel, store in ((self.kc.get_shell_msg, self.shell), (self.kc.get_control_msg, self.control)):
            while True:
                try:
                    msg = channel(timeout=0)
                except Empty:
                    break
                store[msg["parent_header"].get("msg_id")] = msg
                got = True
        first = True
        for _ in range(50):  # then back to the caller, which may have requests to send
            try:
                msg = self.kc.get_iopub_msg(timeout=0 if (got or not first) else wait)
            except Empty:
                break
            first = False
            for handler in self.handlers:
                handler(msg)
            if msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle":
                self.idle.add(msg["parent_header"].get("msg_id"))
            if msg["msg_type"] in ("display_data", "update_display_data"):
                msg = {**msg, "content": {"data": {"text/plain": msg["content"].get("data", {}).get("text/plain")}}}
            self.iopub.append(msg)
            got = True
        return got

    def control_kernel_info(self):
        msg = self.kc.session.msg("kernel_info_request", {})
        self.kc.control_channel.send(msg)
        return msg["header"]["msg_id"]

    def idle_seen(self, msg_id):
        return msg_id in self.idle


def run_variant(client, variant, deadline):
    kc = client.kc
    code = cell_code(variant)
    sizes = expected_sizes(variant)
    facts = {
        "name": variant["name"],
        "expected_displays": variant["n"],
        "displays": 0,
        "display_indices_in_order": True,
        "bad_payloads": [],
        "payload_chars": 0,
    }
    state = {"cell": None}

    def on_iopub(msg):
        if msg["parent_header"].get("msg_id") != state["cell"]:
            return
        if msg["msg_type"] != "display_data":
            return
        data = msg["content"].get("data", {})
        plain = data.get("text/plain", "")
        html = data.get("text/html", "")
        facts["payload_chars"] += len(plain) + len(html)
        i = facts["displays"]
        facts["displays"] += 1
        problem = None
        parts = plain.split(" ")
        match = HTML_RE.match(html)
        if len(parts) != 4 or parts[0] != "stress":
            problem = f"display #{i}: text/plain {plain[:80]!r}"
        elif not match:
            problem = f"display #{i}: text/html not a stress payload ({len(html)} chars)"
        else:
            index, length, digest = int(parts[1]), int(parts[2]), parts[3]
            payload = match.group(2)
            if index != i or int(match.group(1)) != i:
                facts["display_indices_in_order"] = False
                problem = f"display #{i} carries index {index} (html {match.group(1)})"
            elif length != len(payload) or i >= len(sizes) or length != sizes[i]:
                problem = f"display {i}: payload of {len(payload)} chars, announced {length}, expected {sizes[i] if i < len(sizes) else '?'}"
            elif hashlib.sha256(payload.encode("ascii")).hexdigest() != digest:
                problem = f"display {i}: payload checksum mismatch"
        if problem and len(facts["bad_payloads"]) < 10:
            facts["bad_payloads"].append(problem)

    client.handlers = [on_iopub]
    start_index = len(client.iopub)
    started = time.monotonic()
    cell = kc.execute(code)
    state["cell"] = cell
    # Shell requests queued behind the cell: answered after it, one at a time.
    shell_ids = []
    for k in range(4):
        shell_ids.append(kc.kernel_info())
        shell_ids.append(kc.is_complete("const x = [1, 2," if k % 2 else "1 + 1"))
    control_ids = []
    last_control = 0.0
    grace = None  # once the cell and the shell requests are answered: a few seconds for the rest
    while time.monotonic() < (deadline if grace is None else min(deadline, grace)):
        now = time.monotonic()
        cell_idle = client.idle_seen(cell)
        if grace is None and cell_idle and cell in client.shell and all(i in client.shell for i in shell_ids):
            grace = now + 5
        if not cell_idle and now - last_control >= 0.02 and len(control_ids) < 300:
            control_ids.append(client.control_kernel_info())
            last_control = now
        client.pump()
        if cell_idle and cell in client.shell and all(i in client.shell for i in shell_ids) and all(
            i in client.control for i in control_ids
        ):
            # Everything answered; take what is still on its way (the shell requests' idle).
            settle = time.monotonic() + 0.3
            while time.monotonic() < settle:
                client.pump(0.05)
            break
    facts["seconds"] = round(time.monotonic() - started, 2)
    facts["timed_out"] = time.monotonic() >= deadline

    messages = client.iopub[start_index:]
    # The iopub sequence for the cell: busy, execute_input, outputs..., idle, nothing after.
    own = [m for m in messages if m["parent_header"].get("msg_id") == cell]
    kinds = [
        f"status:{m['content'].get('execution_state')}" if m["msg_type"] == "status" else m["msg_type"]
        for m in own
    ]
    sequence_problems = []
    if kinds[:2] != ["status:busy", "execute_input"]:
        sequence_problems.append(f"starts with {kinds[:2]}")
    if "status:idle" not in kinds:
        sequence_problems.append("no idle status")
    else:
        idle_at = kinds.index("status:idle")
        if idle_at != len(kinds) - 1:
            sequence_problems.append(f"{len(kinds) - 1 - idle_at} message(s) after idle: {kinds[idle_at + 1:][:5]}")
        middle = set(kinds[2:idle_at])
        if not middle <= {"display_data", "stream"}:
            sequence_problems.append(f"unexpected between execute_input and idle: {sorted(middle - {'display_data', 'stream'})}")
    facts["sequence_problems"] = sequence_problems
    facts["cell_kinds_count"] = {k: kinds.count(k) for k in sorted(set(kinds))}

    # Outputs in the order the code produced them: display i, "stdout i", ("stderr i").
    tokens = []
    stdout, stderr = [], []
    for m in own:
        if m["msg_type"] == "display_data":
            tokens.append("D " + str((m["content"]["data"].get("text/plain") or "? ?").split(" ")[1]))
        elif m["msg_type"] == "stream":
            name = m["content"]["name"]
            text = m["content"]["text"]
            (stdout if name == "stdout" else stderr).append(text)
            for line in text.splitlines():
                word, _, index = line.partition(" ")
                tokens.append(("O " if word == "stdout" and name == "stdout" else "E " if word == "stderr" and name == "stderr" else "? ") + index)
    want = expected_tokens(variant)
    mismatch = next((k for k, (a, b) in enumerate(zip(tokens, want)) if a != b), None)
    if mismatch is None and len(tokens) != len(want):
        mismatch = min(len(tokens), len(want))
    facts["output_order_mismatch"] = (
        None if mismatch is None else {"at": mismatch, "got": tokens[mismatch:mismatch + 4], "want": want[mismatch:mismatch + 4]}
    )
    facts["stdout_ok"] = "".join(stdout) == "".join(f"stdout {i}\n" for i in range(variant["n"]))
    facts["stderr_ok"] = "".join(stderr) == "".join(
        f"stderr {i}\n" for i in range(variant["n"]) if i % variant["stderr_every"] == 0
    )

    reply = client.shell.get(cell)
    facts["execute_reply"] = None if reply is None else {
        k: reply["content"].get(k) for k in ("status", "ename", "evalue")
    }
    facts["shell_requests"] = len(shell_ids)
    facts["shell_replies"] = sum(1 for i in shell_ids if i in client.shell)
    facts["shell_reply_statuses"] = sorted({client.shell[i]["content"].get("status") for i in shell_ids if i in client.shell})
    facts["control_requests"] = len(control_ids)
    facts["control_replies"] = sum(1 for i in control_ids if i in client.control)
    facts["control_reply_statuses"] = sorted({client.control[i]["content"].get("status") for i in control_ids if i in client.control})
    # Control requests the kernel answered (status on iopub) while the cell was still running.
    idle_position = next(
        (k for k, m in enumerate(messages) if m["parent_header"].get("msg_id") == cell and m["msg_type"] == "status"
         and m["content"].get("execution_state") == "idle"),
        len(messages),
    )
    control_set = set(control_ids)
    control_before_idle = len({
        m["parent_header"].get("msg_id") for m in messages[:idle_position] if m["parent_header"].get("msg_id") in control_set
    })
    facts["control_answered_during_cell"] = control_before_idle
    facts["mb"] = round(facts["payload_chars"] / 1e6, 1)
    return facts


def main():
    log = tempfile.NamedTemporaryFile(prefix="elbo-lab-stress-kernel-", suffix=".log", delete=False)
    log_path = log.name
    spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    result = {"kernel_argv": spec.argv, "kernel_dir": spec.resource_dir, "variants": []}
    deadline = time.monotonic() + DEADLINE_S
    km = KernelManager(kernel_name=KERNEL_NAME)
    kc = None
    try:
        started = time.monotonic()
        km.start_kernel(stdout=log, stderr=log)
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        client = Client(kc)
        # The iopub subscription is live once a warm-up cell's idle arrives.
        warm = kc.execute("1")
        while not client.idle_seen(warm) and time.monotonic() < deadline:
            client.pump(0.1)
        result["startup_seconds"] = round(time.monotonic() - started, 2)
        for variant in VARIANTS:
            if not km.is_alive():
                break
            result["variants"].append(run_variant(client, variant, deadline))
        result["alive_after"] = km.is_alive()
        answer = None
        if result["alive_after"]:
            check = kc.execute("6 * 7")
            until = min(deadline + 15, time.monotonic() + 15)
            while not (client.idle_seen(check) and check in client.shell) and time.monotonic() < until:
                client.pump(0.1)
            for m in client.iopub:
                if m["parent_header"].get("msg_id") == check and m["msg_type"] == "execute_result":
                    answer = m["content"]["data"].get("text/plain")
            result["final_reply"] = (client.shell.get(check) or {}).get("content", {}).get("status")
        result["final_answer"] = answer
        result["alive_at_end"] = km.is_alive()
    except Exception as error:  # reported, the caller fails with it
        result["exception"] = f"{type(error).__name__}: {error}"
    finally:
        if kc is not None:
            kc.stop_channels()
        try:
            km.shutdown_kernel(now=False)
        except Exception as error:
            result["shutdown_error"] = str(error)
        log.close()
        with open(log_path, "rb") as f:
            text = f.read().decode("utf8", "replace")
        os.unlink(log_path)
        result["kernel_log"] = text[-4000:]
    print("STRESS-RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
