/**
 * Kafka jars (resolved once from Maven Central with kafka-pom.xml), logging configuration for
 * 3.x (reload4j) and 4.x (log4j2), and running Kafka's own command line tools.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { classpathOf, requireJava, resolveJars, runJava } from './jvm';
import { defaultLog, localDir, type Log } from './proc';

export const KAFKA_DEFAULT_VERSION = '3.9.1';
export const KAFKA_PURPOSE = 'a local Kafka broker';
const TAG = '[kafka]';

export function kafkaVersion(version?: string): string {
  return version || process.env.KAFKA_VERSION || KAFKA_DEFAULT_VERSION;
}

export const isLog4j2 = (version: string) => Number.parseInt(version, 10) >= 4;

/** Resolve (once) the jars of Kafka `version` and return the java -cp value. */
export async function kafkaClasspath(opts: { version?: string; log?: Log } = {}): Promise<string> {
  const version = kafkaVersion(opts.version);
  const dir = await resolveJars(
    {
      key: `kafka-${version}`,
      tag: TAG,
      title: `Apache Kafka ${version}`,
      size: '~50 MB',
      purpose: KAFKA_PURPOSE,
      pom: path.join(__dirname, 'kafka-pom.xml'),
      args: [
        `-Dkafka.version=${version}`,
        ...(isLog4j2(version) ? ['-Dkafka.log=log4j2'] : []),
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        '-DoutputDirectory={out}/libs',
      ],
    },
    opts.log ?? defaultLog,
  );
  return classpathOf(dir);
}

/** JVM option pointing Kafka's logging at `file` (log4j 1 for 3.x, log4j2 for 4.x). */
export function logConfigArg(version: string, file: string): string {
  return isLog4j2(version) ? `-Dlog4j2.configurationFile=${file}` : `-Dlog4j.configuration=file:${file}`;
}

export function logConfig(version: string, level: 'INFO' | 'WARN', quiet: string[]): string {
  if (isLog4j2(version)) {
    return [
      'status = warn',
      'appender.out.type = Console',
      'appender.out.name = OUT',
      'appender.out.target = SYSTEM_ERR',
      'appender.out.layout.type = PatternLayout',
      'appender.out.layout.pattern = [%d] %p %m (%c)%n',
      `rootLogger.level = ${level}`,
      'rootLogger.appenderRef.out.ref = OUT',
      ...quiet.flatMap((logger, i) => [`logger.q${i}.name = ${logger}`, `logger.q${i}.level = WARN`]),
      '',
    ].join('\n');
  }
  return [
    `log4j.rootLogger=${level}, out`,
    'log4j.appender.out=org.apache.log4j.ConsoleAppender',
    'log4j.appender.out.Target=System.err',
    'log4j.appender.out.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.out.layout.ConversionPattern=[%d] %p %m (%c)%n',
    ...quiet.map((logger) => `log4j.logger.${logger}=WARN`),
    '',
  ].join('\n');
}

/**
 * Run a Kafka command line tool from the resolved jars, e.g.
 * `runKafkaTool('org.apache.kafka.tools.TopicCommand', ['--bootstrap-server', b, '--list'])`
 * or `org.apache.kafka.tools.ProducerPerformance`. Tool logging goes to stderr at WARN.
 */
export async function runKafkaTool(
  mainClass: string,
  args: string[],
  opts: { version?: string; log?: Log; jvmArgs?: string[]; timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const version = kafkaVersion(opts.version);
  const java = requireJava(KAFKA_PURPOSE);
  const cp = await kafkaClasspath({ version, log: opts.log });
  const cfgFile = localDir('kafka', `tools-log-${isLog4j2(version) ? 'log4j2' : 'log4j'}.properties`);
  writeIfChanged(cfgFile, logConfig(version, 'WARN', []));
  return runJava(
    java,
    [...(opts.jvmArgs ?? ['-Xmx512m', '-XX:+UseSerialGC']), logConfigArg(version, cfgFile), '-cp', cp, mainClass, ...args],
    { timeoutMs: opts.timeoutMs },
  );
}

export function writeIfChanged(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  try {
    if (fs.readFileSync(file, 'utf8') === text) return;
  } catch {
    // missing
  }
  fs.writeFileSync(file, text);
}
