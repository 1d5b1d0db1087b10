/**
 * Java / Maven plumbing shared by kafka.ts and dynamodb.ts:
 *  - requireJava / requireMaven: clear errors when the tools are missing,
 *  - resolveJars: `mvn dependency:copy-dependencies` into the jar cache (once),
 *  - spawnJvm: start a JVM with its output in a log file and its pid in a pid file.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cacheRoot, indent, type Log, stopOnExit, tailFile, which, withLock } from './proc';

export const INSTALL_HINT = 'apt-get install openjdk-17-jre-headless maven';

export class MissingToolError extends Error {
  override name = 'MissingToolError';
}

export interface JavaInfo {
  bin: string;
  major: number;
  version: string;
}

let javaInfo: JavaInfo | undefined;

/** Java 17+ (JAVA_HOME first, then PATH), or a MissingToolError saying how to install it. */
export function requireJava(purpose: string): JavaInfo {
  if (javaInfo) return javaInfo;
  const fromHome = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : undefined;
  const bin = fromHome && fs.existsSync(fromHome) ? fromHome : which('java');
  const need = `edge-forwarder needs Java 17+ and Maven to run ${purpose}: ${INSTALL_HINT}`;
  if (!bin) throw new MissingToolError(`${need}\n(no 'java' on PATH and JAVA_HOME is not set)`);
  const res = spawnSync(bin, ['-version'], { encoding: 'utf8' });
  if (res.error) throw new MissingToolError(`${need}\n(${bin} -version failed: ${res.error.message})`);
  const out = `${res.stderr}${res.stdout}`;
  const m = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(out);
  if (!m) throw new MissingToolError(`${need}\n(cannot parse the output of ${bin} -version: ${out.trim()})`);
  const first = Number(m[1]);
  const major = first === 1 ? Number(m[2]) : first;
  const version = m[0].slice(9, -1);
  if (major < 17) throw new MissingToolError(`${need}\n(found Java ${version} at ${bin})`);
  javaInfo = { bin, major, version };
  return javaInfo;
}

/** `mvn` on PATH, or a MissingToolError saying how to install it. */
export function requireMaven(purpose: string): string {
  const mvn = which('mvn');
  if (!mvn) {
    throw new MissingToolError(
      `edge-forwarder needs Java 17+ and Maven to run ${purpose}: ${INSTALL_HINT}\n(no 'mvn' on PATH)`,
    );
  }
  return mvn;
}

// ---------------------------------------------------------------------------------------------
// jar resolution

export interface JarSpec {
  /** Cache sub directory, e.g. 'kafka-3.9.1'. */
  key: string;
  /** Log prefix, e.g. '[kafka]'. */
  tag: string;
  /** Human name, e.g. 'Apache Kafka 3.9.1'. */
  title: string;
  /** Rough download size for the progress line, e.g. '~50 MB'. */
  size: string;
  /** For error messages: 'a local Kafka broker'. */
  purpose: string;
  /** Absolute path of the pom. */
  pom: string;
  /** mvn goals and -D options; `{out}` is replaced by the (temporary) output directory. */
  args: string[];
}

const COMPLETE = '.complete';

export function jarDir(key: string): string {
  return path.join(cacheRoot(), key);
}

export function isResolved(key: string): boolean {
  return fs.existsSync(path.join(jarDir(key), COMPLETE));
}

/** `<dir>/libs/*` as a java -cp value. */
export function classpathOf(dir: string): string {
  return path.join(dir, 'libs', '*');
}

/**
 * Make sure the jars of `spec` are in `<cache>/<key>/` and return that directory.
 * Skipped when the cache is complete. Safe against concurrent callers (a lock directory, the
 * result is renamed into place atomically).
 */
export async function resolveJars(spec: JarSpec, log: Log): Promise<string> {
  const dir = jarDir(spec.key);
  if (isResolved(spec.key)) return dir;
  requireJava(spec.purpose);
  const mvn = requireMaven(spec.purpose);
  fs.mkdirSync(cacheRoot(), { recursive: true });

  return withLock(
    `${dir}.lock`,
    async () => {
      const tmp = `${dir}.tmp-${process.pid}`;
      const mvnLog = `${dir}.mvn.log`;
      try {
        if (isResolved(spec.key)) return dir;
        fs.rmSync(tmp, { recursive: true, force: true });
        log(`${spec.tag} resolving ${spec.title} jars from Maven Central (first run only, ${spec.size})...`);
        const started = Date.now();
        const args = ['-B', '-Dstyle.color=never', '-f', spec.pom, ...spec.args.map((a) => a.split('{out}').join(tmp))];
        await runMaven(mvn, args, mvnLog, spec.tag, log);
        fs.rmSync(dir, { recursive: true, force: true });
        fs.renameSync(tmp, dir);
        const jars = fs.readdirSync(path.join(dir, 'libs')).filter((f) => f.endsWith('.jar')).length;
        fs.writeFileSync(
          path.join(dir, COMPLETE),
          `${JSON.stringify({ resolvedAt: new Date().toISOString(), jars, mvn: args }, null, 2)}\n`,
        );
        log(`${spec.tag} ${jars} jars ready in ${dir} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
        return dir;
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    },
    (owner) => log(`${spec.tag} another process (pid ${owner}) is resolving ${spec.title}; waiting...`),
  );
}

/** Run mvn, log to `logFile`, print a progress line every 5 s. */
function runMaven(mvn: string, args: string[], logFile: string, tag: string, log: Log): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = fs.createWriteStream(logFile);
    out.write(`$ mvn ${args.join(' ')}\n`);
    const child = spawn(mvn, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const started = Date.now();
    let files = 0;
    let bytes = 0;
    let partial = '';
    const onData = (chunk: Buffer) => {
      out.write(chunk);
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^Downloaded from .*\((\d+(?:\.\d+)?) (B|kB|MB)/.exec(line.replace(/^\[INFO\] /, ''));
        if (!m) continue;
        files++;
        bytes += Number(m[1]) * (m[2] === 'MB' ? 1e6 : m[2] === 'kB' ? 1e3 : 1);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setInterval(() => {
      const secs = Math.round((Date.now() - started) / 1000);
      log(`${tag}   ... ${secs}s, ${files} files downloaded (${(bytes / 1e6).toFixed(1)} MB)`);
    }, 5000);
    const fail = (why: string) => {
      const tail = tailFile(logFile, 25);
      const hint = /Could not find artifact|was not found in/.test(tail)
        ? 'An artifact does not exist on Maven Central: check the version (KAFKA_VERSION / DYNAMODB_LOCAL_VERSION).'
        : 'Is Maven Central reachable (proxy / ~/.m2/settings.xml mirror)?';
      reject(new Error(`${tag} resolving jars with Maven failed (${why}). Full log: ${logFile}\n${hint}\n${indent(tail)}`));
    };
    child.once('error', (err) => {
      clearInterval(timer);
      out.end(() => fail(err.message));
    });
    child.once('close', (code) => {
      clearInterval(timer);
      out.end(() => {
        if (code === 0) resolve();
        else fail(`mvn exited with code ${code}`);
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// spawning

export interface JvmSpec {
  /** Put on the command line as -Dedgeforwarder.instance=<marker>; identifies the process later. */
  marker: string;
  java: JavaInfo;
  classpath: string;
  mainClass: string;
  args: string[];
  jvmArgs: string[];
  cwd: string;
  logFile: string;
  pidFile: string;
  /**
   * true: own session, survives this node process (CLI `start`).
   * false: SIGTERMed when this node process exits (tests forgetting stop()).
   */
  detached: boolean;
}

export function markerArg(marker: string): string {
  return `-Dedgeforwarder.instance=${marker}`;
}

/** Start the JVM (stdout+stderr appended to logFile) and write its pid file. Returns the pid. */
export function spawnJvm(spec: JvmSpec): number {
  fs.mkdirSync(path.dirname(spec.logFile), { recursive: true });
  const argv = [markerArg(spec.marker), ...spec.jvmArgs, '-cp', spec.classpath, spec.mainClass, ...spec.args];
  const fd = fs.openSync(spec.logFile, 'a');
  try {
    fs.writeSync(fd, `\n===== ${new Date().toISOString()} starting: java ${argv.join(' ')}\n`);
    const child = spawn(spec.java.bin, argv, {
      cwd: spec.cwd,
      detached: spec.detached,
      stdio: ['ignore', fd, fd],
    });
    if (child.pid === undefined) throw new Error(`could not start ${spec.java.bin} (see ${spec.logFile})`);
    child.on('error', () => undefined);
    child.unref();
    fs.writeFileSync(spec.pidFile, `${child.pid}\n`);
    if (!spec.detached) stopOnExit(child.pid);
    return child.pid;
  } finally {
    fs.closeSync(fd);
  }
}

/** Run a short-lived java program to completion; rejects with its output on failure. */
export function runJava(
  java: JavaInfo,
  argv: string[],
  opts: { timeoutMs?: number; cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(java.bin, argv, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, sig) => {
      clearTimeout(timer);
      resolve({ code: code ?? (sig ? 128 : 1), stdout, stderr });
    });
  });
}
