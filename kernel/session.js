// One notebook's TypeScript session: tslab's converter and executor run the code; this file turns
// what they report into Jupyter's terms.
//
// tslab's executor reports through the `console` it is given: `error(...)` for a compile
// diagnostic ("%s%d:%d - %s", file, line, column, message) or a thrown value, `log(value)` for the
// value of the cell's last expression. Both are captured here instead of being printed, so a
// failed cell becomes an `error` with its real name, message and traceback, and a value becomes
// an `execute_result`.
'use strict';

const util = require('util');

const DIAGNOSTIC_FORMAT = '%s%d:%d - %s';

/** Stack frames of the kernel's own machinery, not the user's code. */
function isInternalFrame(line) {
  return /node_modules[\\/]tslab[\\/]|\(node:|^\s*at node:|[\\/]kernel[\\/](session|server|main)\.js|sigintHandlersWrap/.test(line);
}

/** ename, evalue and traceback of a thrown value. */
function describeThrown(value, note = '') {
  const isErrorLike = value !== null && typeof value === 'object' && typeof value.message === 'string';
  if (!isErrorLike) {
    const evalue = `${util.inspect(value)}${note ? ` ${note}` : ''}`;
    return { ename: 'Uncaught', evalue, traceback: [`Uncaught ${evalue}`] };
  }
  const ename = String(value.name || (value.constructor && value.constructor.name) || 'Error');
  const evalue = `${value.message}${note ? ` ${note}` : ''}`;
  const stack = typeof value.stack === 'string' ? value.stack.split('\n') : [];
  // The stack starts with "Name: message" (possibly several lines); keep the frames after it.
  const frames = stack.filter((line) => /^\s+at /.test(line) && !isInternalFrame(line));
  const cause = value.cause !== undefined ? [`Caused by: ${describeThrown(value.cause).traceback.join('\n')}`] : [];
  return { ename, evalue, traceback: [`${ename}: ${evalue}`, ...frames, ...cause] };
}

/** ename, evalue and traceback of the compile diagnostics of one cell. */
function describeDiagnostics(diagnostics) {
  const lines = diagnostics.map(({ file, line, column, message }) =>
    `${file ? `${file} ` : ''}line ${line}, column ${column}: ${message}`);
  return { ename: 'CompileError', evalue: lines.join('\n'), traceback: lines.map((line) => `CompileError: ${line}`) };
}

class Session {
  /**
   * @param {object} tslab  { createConverter, createExecutor, JupyterHandlerImpl, jupyter }
   * @param {string} cwd    the folder the notebook runs in
   */
  constructor(tslab, cwd) {
    this.tslab = tslab;
    this.current = null; // the cell being executed: { diagnostics, thrown, result, late }
    this.lastParent = null; // where output that arrives after a cell belongs
    this.onLateError = () => {};
    const converters = {
      node: null,
      browser: null,
    };
    const converterSet = {
      get node() {
        converters.node = converters.node || tslab.createConverter({ isJS: false, isBrowser: false });
        return converters.node;
      },
      get browser() {
        converters.browser = converters.browser || tslab.createConverter({ isJS: false, isBrowser: true });
        return converters.browser;
      },
      close() {
        for (const converter of Object.values(converters)) if (converter) converter.close();
      },
    };
    converterSet.node; // compile once now: the first cell should not pay for it
    this.executor = tslab.createExecutor(cwd, converterSet, {
      log: (value) => {
        if (this.current) this.current.result = { value };
      },
      error: (...args) => this.reportError(args),
    });
    // Completion, inspection and is_complete stay tslab's own.
    this.language = new tslab.JupyterHandlerImpl(this.executor, false);
  }

  reportError(args) {
    const cell = this.current;
    if (args[0] === DIAGNOSTIC_FORMAT) {
      const [, file, line, column, message] = args;
      const diagnostic = { file: String(file).trim(), line, column, message: String(message) };
      if (cell) cell.diagnostics.push(diagnostic);
      else this.onLateError(describeDiagnostics([diagnostic]));
      return;
    }
    if (cell && cell.thrown === undefined) cell.thrown = { value: args[0] };
    else if (!cell) this.onLateError(describeThrown(args[0]));
  }

  /** An un-awaited rejection or an exception thrown in a callback (process-wide handlers call this). */
  reportLate(kind, value) {
    const note = kind === 'unhandledRejection'
      ? '(an unhandled promise rejection: is an `await` missing?)'
      : '(thrown in a callback, outside the cell)';
    if (this.current) this.current.late.push(describeThrown(value, note));
    else this.onLateError(describeThrown(value, note));
  }

  /**
   * Run one cell. `io.writeStream(name, text)` and `io.writeDisplayData(content, update)` receive
   * its output; they stay in place after the cell (output of timers belongs to the last cell).
   * Resolves to { error } or { result } (result undefined when the cell has no value).
   */
  async execute(code, io) {
    const cell = { diagnostics: [], thrown: undefined, result: undefined, late: [] };
    this.current = cell;
    process.stdout.write = (chunk, encoding, callback) => writeTo(io, 'stdout', chunk, encoding, callback);
    process.stderr.write = (chunk, encoding, callback) => writeTo(io, 'stderr', chunk, encoding, callback);
    this.tslab.jupyter.lastWriteDisplayData = io.writeDisplayData;
    let ok = false;
    try {
      ok = await this.executor.execute(code);
      // Rejections nobody awaited surface at the end of the current macrotask: wait for it.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
    } catch (error) {
      cell.thrown = cell.thrown === undefined ? { value: error } : cell.thrown;
    } finally {
      this.current = null;
    }
    if (cell.diagnostics.length > 0) return { error: describeDiagnostics(cell.diagnostics) };
    if (cell.thrown !== undefined) return { error: describeThrown(cell.thrown.value) };
    if (!ok) return { error: { ename: 'Error', evalue: 'the cell failed', traceback: ['Error: the cell failed'] } };
    if (cell.late.length > 0) return { error: cell.late[0] };
    return { result: cell.result };
  }

  interrupt() {
    this.executor.interrupt();
  }

  isComplete(code) {
    return this.language.handleIsComplete({ code });
  }

  complete(code, cursorPos) {
    return this.language.handleComplete({ code, cursor_pos: cursorPos });
  }

  inspect(code, cursorPos) {
    return this.language.handleInspect({ code, cursor_pos: cursorPos, detail_level: 0 });
  }

  close() {
    this.executor.close();
  }
}

function writeTo(io, name, chunk, encoding, callback) {
  const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(typeof encoding === 'string' ? encoding : 'utf8');
  io.writeStream(name, text);
  const done = typeof encoding === 'function' ? encoding : callback;
  if (typeof done === 'function') process.nextTick(done);
  return true;
}

/** The text/plain form of a cell's value, as Node's REPL shows it. */
function formatResult(value) {
  return util.inspect(value, { depth: 4, maxArrayLength: 100, breakLength: 100 });
}

module.exports = { Session, describeThrown, describeDiagnostics, formatResult, DIAGNOSTIC_FORMAT };
