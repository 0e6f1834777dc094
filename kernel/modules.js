// Module resolution for notebooks in any folder.
//
// A notebook imports the course library as `elbo-lab` and its dependencies by their package
// names (`@tensorflow/tfjs`, ...), wherever the notebook lies: in notebooks/, a student's home
// folder, nbgrader's source/, release/ or autograded/<student>/. Two resolvers need to find them:
//  * Node at run time: the repository's node_modules and a folder holding an `elbo-lab` link to
//    the repository are put on NODE_PATH, which Node searches after every node_modules folder
//    above the notebook (so a package the notebook's own folders provide still wins);
//  * tslab's TypeScript (Node10 resolution, which ignores NODE_PATH) while it compiles a cell:
//    the same folders are shown to it as `/node_modules`, the last folder it searches, and only
//    where no real file answers. tslab reads files through `ts.sys`; the wrapper is installed on
//    that object before tslab creates its compiler host.
'use strict';

const fs = require('fs');
const Module = require('module');
const path = require('path');

const PACKAGE_NAME = 'elbo-lab';
const VIRTUAL_ROOT = '/node_modules';

/** The folder put on NODE_PATH that holds the `elbo-lab` link to the repository. */
function linkFolder(root) {
  return path.join(root, '.cache', 'kernel', 'node_path');
}

function ensureLibraryLink(root) {
  const folder = linkFolder(root);
  const link = path.join(folder, PACKAGE_NAME);
  let target = null;
  try {
    target = fs.readlinkSync(link);
  } catch {
    // missing: made below
  }
  if (target !== root) {
    fs.mkdirSync(folder, { recursive: true });
    fs.rmSync(link, { force: true, recursive: true });
    fs.symlinkSync(root, link, 'dir');
  }
  return folder;
}

/** Put the repository's packages and `elbo-lab` on Node's search path for this process. */
function extendNodePath(root) {
  const extra = [ensureLibraryLink(root), path.join(root, 'node_modules')];
  const existing = (process.env.NODE_PATH || '').split(path.delimiter).filter(Boolean);
  process.env.NODE_PATH = [...existing, ...extra.filter((dir) => !existing.includes(dir))].join(path.delimiter);
  // Node reads NODE_PATH once at start-up; this re-reads it (the documented way for a running process).
  Module._initPaths();
}

/**
 * Where a path under the virtual `/node_modules` really is, or null for any other path.
 * `/node_modules/elbo-lab/x` -> `<root>/x`; `/node_modules/p/x` -> `<root>/node_modules/p/x`.
 */
function virtualTarget(root, file) {
  const normal = String(file).replace(/\\/g, '/');
  if (normal !== VIRTUAL_ROOT && !normal.startsWith(`${VIRTUAL_ROOT}/`)) return null;
  const rest = normal.slice(VIRTUAL_ROOT.length + 1);
  if (rest === PACKAGE_NAME || rest.startsWith(`${PACKAGE_NAME}/`)) return path.join(root, rest.slice(PACKAGE_NAME.length));
  return path.join(root, 'node_modules', rest);
}

/** Show the repository's packages to TypeScript as `/node_modules` where nothing real is there. */
function forwardTypeScriptModules(ts, root) {
  const sys = ts.sys;
  if (sys.__elboLabForwarded) return;
  const real = {
    fileExists: sys.fileExists.bind(sys),
    directoryExists: sys.directoryExists.bind(sys),
    readFile: sys.readFile.bind(sys),
    readDirectory: sys.readDirectory.bind(sys),
    getDirectories: sys.getDirectories.bind(sys),
    realpath: sys.realpath ? sys.realpath.bind(sys) : (file) => file,
  };
  const exists = (file) => real.fileExists(file) || real.directoryExists(file);
  const forwarded = (file, present) => {
    const target = virtualTarget(root, file);
    return target !== null && !present(file) ? target : file;
  };
  sys.fileExists = (file) => real.fileExists(forwarded(file, real.fileExists));
  sys.directoryExists = (dir) => real.directoryExists(forwarded(dir, real.directoryExists));
  sys.readFile = (file, encoding) => real.readFile(forwarded(file, exists), encoding);
  sys.getDirectories = (dir) => real.getDirectories(forwarded(dir, real.directoryExists));
  sys.readDirectory = (dir, ...rest) => {
    const target = forwarded(dir, real.directoryExists);
    if (target === dir) return real.readDirectory(dir, ...rest);
    // Answer in the virtual folder's terms, as TypeScript asked.
    return real.readDirectory(target, ...rest).map((file) => path.posix.join(dir, path.relative(target, file).split(path.sep).join('/')));
  };
  // The real location of a forwarded file, so imports inside it resolve from where it lies.
  sys.realpath = (file) => real.realpath(forwarded(file, exists));
  sys.__elboLabForwarded = true;
}

module.exports = { PACKAGE_NAME, extendNodePath, forwardTypeScriptModules, virtualTarget, linkFolder };
