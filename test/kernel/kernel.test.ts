// The elbo-lab kernel (kernel/): its parts alone, then with the real Jupyter tools a user runs —
// the Jupyter project's conformance suite (jupyter_kernel_test) and plain `jupyter nbconvert`,
// in place and on a notebook copied outside the repository.
import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { ROOT, setupPython, tempDir } from '../scripts/helpers';

const wire = require('../../kernel/wire.js');
const modules = require('../../kernel/modules.js');
const session = require('../../kernel/session.js');
const entry = require('../../kernel/main.js');
const library = require('../../kernel/library.js');

const FIXTURES = path.join(ROOT, 'test', 'kernel', 'fixtures');

/** The environment of a plain Jupyter tool: no JUPYTER_PATH, so the kernel must be installed for the user. */
function plainEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true', ...extra };
  delete env.JUPYTER_PATH;
  delete env.ELBO_LAB_ROOT;
  return env;
}

/** `jupyter <args>` as a user types it (the jupyter command beside setup's Python). */
function jupyter(args: string[], cwd: string, timeout = 300_000): SpawnSyncReturns<string> {
  const beside = path.join(path.dirname(setupPython()), 'jupyter');
  const command = fs.existsSync(beside) ? beside : 'jupyter';
  return spawnSync(command, args, { cwd, env: plainEnv(), encoding: 'utf8', timeout });
}

type Output = { output_type: string; name?: string; text?: string | string[]; ename?: string; evalue?: string; traceback?: string[]; data?: Record<string, unknown> };
type Cell = { cell_type: string; execution_count: number | null; outputs: Output[]; source: string | string[] };

function readCells(file: string): Cell[] {
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { cells: Cell[] }).cells.filter((c) => c.cell_type === 'code');
}

const text = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join('') : value ?? '');

describe('kernel/wire.js', () => {
  const sign = wire.createSigner('secret', 'hmac-sha256');

  it('encodes messages that parse back, signed with the connection key', () => {
    const frames = wire.encodeMessage(
      { identities: [Buffer.from('client')], type: 'execute_reply', session: 's', parent: { msg_id: 'p' }, content: { status: 'ok' } },
      sign,
    );
    const message = wire.parseMessage(frames, sign);
    expect(message.header.msg_type).toBe('execute_reply');
    expect(message.header.version).toBe('5.3');
    expect(message.parent).toEqual({ msg_id: 'p' });
    expect(message.content).toEqual({ status: 'ok' });
    expect(Buffer.from(message.identities[0]).toString()).toBe('client');
  });

  it('rejects a message signed with another key, and one without the delimiter', () => {
    const frames = wire.encodeMessage({ identities: [], type: 'status', session: 's', parent: {}, content: {} }, wire.createSigner('other'));
    expect(() => wire.parseMessage(frames, sign)).toThrow(/invalid signature/);
    expect(() => wire.parseMessage([Buffer.from('a'), Buffer.from('b')], sign)).toThrow(/delimiter/);
  });

  it('SerialSender: never two sends at once on a socket, order kept, a failed send does not stop the rest', async () => {
    // A socket like zeromq.js's: a send while another is in progress fails with EBUSY.
    const sent: number[] = [];
    let busy = false;
    const socket = {
      async send(frames: number) {
        if (busy) throw new Error('Socket is busy writing; only one send operation may be in progress at any time');
        busy = true;
        await new Promise((resolve) => setTimeout(resolve, frames % 3));
        busy = false;
        if (frames === 5) throw new Error('this one fails');
        sent.push(frames);
      },
    };
    const errors: string[] = [];
    const sender = new wire.SerialSender(socket, (error: Error) => errors.push(error.message));
    for (let i = 0; i < 20; i++) sender.send(i);
    await sender.drained();
    expect(sent).toEqual([...Array(20).keys()].filter((i) => i !== 5));
    expect(errors).toEqual(['this one fails']);
  });
});

describe('kernel/modules.js', () => {
  it("maps /node_modules/elbo-lab to the repository and other packages to its node_modules, nothing else", () => {
    expect(modules.virtualTarget('/repo', '/node_modules/elbo-lab/package.json')).toBe('/repo/package.json');
    expect(modules.virtualTarget('/repo', '/node_modules/elbo-lab')).toBe('/repo');
    expect(modules.virtualTarget('/repo', '/node_modules/@tensorflow/tfjs/package.json')).toBe('/repo/node_modules/@tensorflow/tfjs/package.json');
    expect(modules.virtualTarget('/repo', '/home/student/node_modules/elbo-lab/package.json')).toBeNull();
    expect(modules.virtualTarget('/repo', '/node_modules_other/x')).toBeNull();
  });
});

describe('kernel/session.js', () => {
  it('describes a thrown error by its name, message and own stack frames', () => {
    const error = new RangeError('the claim failed: 3 > 2');
    const described = session.describeThrown(error);
    expect(described.ename).toBe('RangeError');
    expect(described.evalue).toBe('the claim failed: 3 > 2');
    expect(described.traceback[0]).toBe('RangeError: the claim failed: 3 > 2');
    expect(described.traceback.slice(1).every((line: string) => /^\s+at /.test(line))).toBe(true);
    expect(session.describeThrown('plain text')).toMatchObject({ ename: 'Uncaught', evalue: "'plain text'" });
  });

  it('describes compile diagnostics with line and column', () => {
    const described = session.describeDiagnostics([{ file: '', line: 2, column: 7, message: 'Cannot find name \'x\'.' }]);
    expect(described).toEqual({
      ename: 'CompileError',
      evalue: "line 2, column 7: Cannot find name 'x'.",
      traceback: ["CompileError: line 2, column 7: Cannot find name 'x'."],
    });
  });
});

describe('kernel/main.js and kernel/library.js', () => {
  it('is pinned to the tslab version the project depends on and has installed', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.dependencies.tslab).toBe(entry.TSLAB_VERSION);
    expect(JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'tslab', 'package.json'), 'utf8')).version).toBe(entry.TSLAB_VERSION);
  });

  it('kernel_info names the language, its version and file extension', () => {
    const info = entry.kernelInfo(entry.loadTslab());
    expect(info.language_info).toMatchObject({ name: 'typescript', version: '5.0.4', file_extension: '.ts', mimetype: 'text/typescript' });
    expect(info.protocol_version).toBe('5.3');
  });

  it('the library build (dist/) is current and is what the package elbo-lab points to', () => {
    expect(library.isStale(ROOT)).toBe(false);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.name).toBe('elbo-lab');
    expect(fs.existsSync(path.join(ROOT, pkg.main))).toBe(true);
    expect(fs.existsSync(path.join(ROOT, pkg.types))).toBe(true);
  });
});

describe("the Jupyter project's kernel conformance suite (jupyter_kernel_test)", () => {
  const available = spawnSync(setupPython(), ['-c', 'import jupyter_kernel_test'], { encoding: 'utf8' }).status === 0;
  if (!available) console.log('kernel conformance: skipped, jupyter_kernel_test is not installed (Debian: python3-jupyter-kernel-test)');

  it.skipIf(!available && !process.env.CI)('passes every test that has TypeScript samples', () => {
    const result = spawnSync(setupPython(), ['-m', 'unittest', '-v', 'conformance'], {
      cwd: path.join(ROOT, 'test', 'kernel'),
      env: plainEnv(),
      encoding: 'utf8',
      timeout: 180_000,
    });
    const report = `${result.stdout}${result.stderr}`;
    expect(result.status, report).toBe(0);
    for (const name of ['test_kernel_info', 'test_execute_stdout', 'test_execute_stderr', 'test_error', 'test_execute_result',
      'test_display_data', 'test_is_complete', 'test_completion', 'test_inspect', 'test_history',
      'test_queued_cells_after_an_error_are_aborted', 'test_queued_cells_run_when_errors_are_allowed']) {
      expect(report, name).toMatch(new RegExp(`${name} \\(conformance\\.ElboLabKernelTests\\.${name}\\) \\.\\.\\. ok`));
    }
  });
});

describe('plain jupyter nbconvert --execute', () => {
  it('runs notebook 00 in place, finding the kernel without JUPYTER_PATH', () => {
    const out = tempDir('nbconvert-00');
    const result = jupyter(['nbconvert', '--to', 'notebook', '--execute', '--output-dir', out, 'notebooks/00-start-here.ipynb'], ROOT);
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    const cells = readCells(path.join(out, '00-start-here.ipynb'));
    expect(cells.every((c) => c.execution_count !== null)).toBe(true);
    expect(cells.flatMap((c) => c.outputs).some((o) => o.output_type === 'error')).toBe(false);
  });

  it('fails on the failing fixture with the real error name and message', () => {
    const folder = tempDir('nbconvert-fail');
    fs.copyFileSync(path.join(FIXTURES, 'failing.ipynb'), path.join(folder, 'failing.ipynb'));
    const result = jupyter(['nbconvert', '--to', 'notebook', '--execute', 'failing.ipynb'], folder, 120_000);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('RangeError: the claim failed: 3 > 2');
  });

  it('with --allow-errors, runs every cell after a failure and keeps each real message', () => {
    const folder = tempDir('nbconvert-allow');
    fs.copyFileSync(path.join(FIXTURES, 'failing.ipynb'), path.join(folder, 'failing.ipynb'));
    const result = jupyter(['nbconvert', '--to', 'notebook', '--execute', '--allow-errors', '--output', 'executed', 'failing.ipynb'], folder, 120_000);
    expect(result.status, result.stderr).toBe(0);
    const cells = readCells(path.join(folder, 'executed.ipynb'));
    expect(cells.map((c) => c.execution_count)).toEqual([1, 2, 3, 4, 5, 6]);
    const errors = cells.map((c) => c.outputs.find((o) => o.output_type === 'error'));
    expect(errors[1]).toMatchObject({ ename: 'RangeError', evalue: 'the claim failed: 3 > 2' });
    expect(text(cells[2].outputs[0].text)).toBe('after the failure\n');
    expect(errors[3]).toMatchObject({ ename: 'CompileError', evalue: "line 1, column 7: Type 'string' is not assignable to type 'number'." });
    // An un-awaited rejection is reported on the cell that caused it.
    expect(errors[4]?.ename).toBe('TypeError');
    expect(errors[4]?.evalue).toMatch(/^nobody awaited this \(an unhandled promise rejection/);
    expect(cells[5].outputs.map((o) => [o.output_type, text(o.data?.['text/plain'] as string | string[])])).toEqual([['execute_result', '42']]);
  });

  it('runs a notebook copied to a folder outside the repository (library, data, claims)', () => {
    const folder = tempDir('anywhere');
    expect(path.relative(ROOT, folder).startsWith('..')).toBe(true);
    fs.copyFileSync(path.join(ROOT, 'notebooks', '00-start-here.ipynb'), path.join(folder, 'start.ipynb'));
    const result = jupyter(['nbconvert', '--to', 'notebook', '--execute', '--output', 'executed', 'start.ipynb'], folder);
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    const outputs = readCells(path.join(folder, 'executed.ipynb')).flatMap((c) => c.outputs);
    expect(outputs.some((o) => o.output_type === 'error')).toBe(false);
    expect(outputs.some((o) => o.data && 'application/vnd.plotly.v1+json' in o.data)).toBe(true);
    expect(fs.readdirSync(folder).filter((f) => f !== 'start.ipynb' && f !== 'executed.ipynb')).toEqual([]);
  });
});

describe('src/paths.ts projectRoot, as the library runs from a notebook anywhere', () => {
  it('finds the clone from the library file itself when neither ELBO_LAB_ROOT nor the working directory leads there', () => {
    const probe = [
      "process.chdir(require('os').tmpdir());",
      'delete process.env.ELBO_LAB_ROOT;',
      "console.log(require(process.argv[1] + '/dist/paths.js').projectRoot());",
    ].join('\n');
    const result = spawnSync(process.execPath, ['-e', probe, ROOT], { encoding: 'utf8', env: plainEnv() });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(ROOT);
  });
});

describe('kernel/main.js with two clones', () => {
  it("hands a notebook that lies inside another clone to that clone's kernel", () => {
    const other = tempDir('other-clone');
    fs.writeFileSync(path.join(other, 'package.json'), JSON.stringify({ name: 'elbo-lab' }));
    fs.mkdirSync(path.join(other, 'kernel'));
    fs.mkdirSync(path.join(other, 'node_modules', 'tslab'), { recursive: true });
    fs.writeFileSync(path.join(other, 'kernel', 'main.js'),
      "module.exports = { main: async (argv) => { console.log('kernel of the other clone, ' + argv[0]); } };\n");
    const notebooks = path.join(other, 'course', 'week1');
    fs.mkdirSync(notebooks, { recursive: true });
    expect(entry.enclosingClone(notebooks)).toBe(other);
    expect(entry.enclosingClone(path.join(ROOT, 'notebooks'))).toBe(ROOT);
    const result = spawnSync(process.execPath, [path.join(ROOT, 'kernel', 'main.js'), 'connection.json'], { cwd: notebooks, encoding: 'utf8', timeout: 30_000 });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe('kernel of the other clone, connection.json');
    expect(result.stderr).toContain(`the notebook lies in the clone ${other}`);
  });
});
