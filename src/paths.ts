import * as fs from 'fs';
import * as path from 'path';

/**
 * The repository root, wherever the notebook runs. Order: the ELBO_LAB_ROOT environment variable
 * (the kernel sets it), then the nearest ancestor of this file (dist/ or src/ of the clone), then
 * of the working directory, whose package.json is named "elbo-lab".
 */
export function projectRoot(): string {
  const fromEnv = process.env.ELBO_LAB_ROOT;
  if (fromEnv && isProjectRoot(fromEnv)) return path.resolve(fromEnv);
  const starts: string[] = [];
  if (typeof __dirname === 'string') starts.push(__dirname);
  starts.push(process.cwd());
  for (const start of starts) {
    let dir = path.resolve(start);
    for (;;) {
      if (isProjectRoot(dir)) return dir;
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  throw new Error(
    'projectRoot: could not find the ELBO Lab repository (a package.json named "elbo-lab") above ' +
      `${starts.join(' or ')}; set ELBO_LAB_ROOT to the repository folder`,
  );
}

function isProjectRoot(dir: string): boolean {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
    return pkg.name === 'elbo-lab';
  } catch {
    return false;
  }
}

/** Folder for generated data caches (gitignored): `<root>/data/cache`. */
export function dataCacheDir(): string {
  return path.join(projectRoot(), 'data', 'cache');
}
