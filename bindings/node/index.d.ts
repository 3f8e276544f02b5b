// Type declarations of the hypobus package (libhypobus for Node).
/// <reference types="node" />
import { EventEmitter } from 'node:events';
import type {
  StatusName,
  hb_auth_stats_t,
  hb_broker_stats_t,
  hb_calc_stats_t,
  hb_client_stats_t,
  hb_failover_stats_t,
  hb_op_stats_t,
  hb_proxy_stats_t,
  hb_task_broker_stats_t,
  hb_task_client_stats_t,
  hb_task_worker_stats_t,
} from './lib/abi';

// ------------------------------------------------------------ zeromq.js v5

/** A frame as send() takes it: Buffers as they are, anything else as String(x) in UTF-8. */
export type Frame = Buffer | string | number | boolean | bigint | ArrayBufferView | ArrayBuffer | null | undefined;

export type SocketType =
  | 'pair'
  | 'pub'
  | 'sub'
  | 'req'
  | 'rep'
  | 'dealer'
  | 'router'
  | 'pull'
  | 'push'
  | 'xpub'
  | 'xsub'
  | 'stream'
  | 'xreq'
  | 'xrep';

/** Monitor event names, each emitted as (value, endpoint, error?). */
export type MonitorEventName =
  | 'connect'
  | 'connect_delay'
  | 'connect_retry'
  | 'listen'
  | 'bind_error'
  | 'accept'
  | 'accept_error'
  | 'close'
  | 'close_error'
  | 'disconnect'
  /** Not in v5: the ZMTP handshake with a peer completed (messages flow from now on). */
  | 'handshake';

export type OptionName = keyof typeof options;

/** A zeromq.js v5 socket (an EventEmitter). */
export class Socket extends EventEmitter {
  constructor(type: SocketType | number);
  /** The type as given to socket(). */
  readonly type: string;
  readonly closed: boolean;
  /** True while sends wait in the socket's queue. */
  readonly pending: boolean;

  /** Bind; the callback (and a 'bind' event) come on a later tick. */
  bind(addr: string, cb?: (err?: Error) => void): this;
  bindSync(addr: string): this;
  unbind(addr: string, cb?: (err?: Error) => void): this;
  unbindSync(addr: string): this;
  connect(addr: string): this;
  disconnect(addr: string): this;

  /** Send a frame, or an array of frames as one message; flags may hold ZMQ_SNDMORE. */
  send(msg: Frame | Frame[], flags?: number, cb?: (err?: Error) => void): this;
  send(msg: Frame | Frame[], cb: (err?: Error) => void): this;
  /** Take one message now (null if none). */
  read(): Buffer[] | null;

  subscribe(filter: string | Buffer): this;
  unsubscribe(filter: string | Buffer): this;
  setsockopt(opt: number | OptionName | keyof typeof longOptions, value: number | boolean | string | Buffer): this;
  getsockopt(opt: number | OptionName | keyof typeof longOptions): number | string;

  pause(): void;
  resume(): void;
  ref(): this;
  unref(): this;
  /** Emit the socket's monitor events; the arguments of v5's polling timer are accepted and not needed. */
  monitor(interval?: number, numOfEvents?: number): this;
  unmonitor(): this;
  close(): this;

  on(event: 'message', listener: (...frames: Buffer[]) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'bind' | 'unbind', listener: (addr: string) => void): this;
  on(event: MonitorEventName, listener: (value: number, endpoint: string, error?: Error) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'message', listener: (...frames: Buffer[]) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;

  // Options as properties (v5's `zmq.options`).
  identity: string | Buffer;
  linger: number;
  backlog: number;
  affinity: number;
  rcvbuf: number;
  sndbuf: number;
  reconnect_ivl: number;
  readonly last_endpoint: string;
  heartbeat_ivl: number;
  heartbeat_ttl: number;
  heartbeat_timeout: number;
  connect_timeout: number;
  rate: number;
  recovery_ivl: number;
  hwm: number;
  swap: number;
  mcast_loop: number;
  mechanism: number;
  plain_server: number;
  plain_username: string | Buffer;
  plain_password: string | Buffer;
  curve_server: number;
  curve_publickey: string | Buffer;
  curve_secretkey: string | Buffer;
  curve_serverkey: string | Buffer;
  zap_domain: string | Buffer;
  readonly _fd: number;
  readonly _ioevents: number;
  readonly _receiveMore: number;
  _subscribe: string | Buffer;
  _unsubscribe: string | Buffer;
}

export function socket(type: SocketType | number, options?: Record<string, unknown>): Socket;
export function createSocket(type: SocketType | number, options?: Record<string, unknown>): Socket;

/** The running proxy returned by proxy() (v5 returned nothing). */
export interface ZmqProxy {
  stats(): ProxyStats;
}

/** The proxy's counters, as the C struct hb_proxy_stats_t has them. */
export type ProxyStats = hb_proxy_stats_t;

/** Forward between frontend and backend ('push/pull', 'pull/push', 'xpub/xsub', 'router/dealer') until one is closed. */
export function proxy(frontend: Socket, backend: Socket, capture?: Socket): ZmqProxy;

/** v5's Context: the settings of the process's one ZeroMQ context (see `context`); not instantiable. */
export class Context {
  private constructor();
  static setMaxThreads(value: number): void;
  static getMaxThreads(): number;
  static setMaxSockets(value: number): void;
  static getMaxSockets(): number;
}

/**
 * The process's ZeroMQ context, as zeromq 6's `zmq.context` (one per
 * process, shared with the library's roles). Thread and socket settings
 * count when it starts (the process's first socket), as in libzmq.
 */
export interface ProcessContext {
  ioThreads: number;
  maxSockets: number;
  readonly maxSocketsLimit: number;
  maxMessageSize: number;
  ipv6: boolean;
  blocky: boolean;
}
export const context: ProcessContext;

/** What the libzmq inside libhypobus can do (zmq_has), as zeromq 6's `zmq.capability`. */
export const capability: Readonly<{
  ipc: boolean;
  pgm: boolean;
  tipc: boolean;
  norm: boolean;
  curve: boolean;
  gssapi: boolean;
  draft: boolean;
}>;

/**
 * The error of a failed socket call, as zeromq.js makes it when libzmq
 * failed: `message` is libzmq's text ('Host unreachable'), `code` the
 * errno's name ('EHOSTUNREACH'), `errno` its number, `address` the
 * endpoint of a bind/connect; `detail` is libhypobus's explanation and
 * `status` its status. Failures without a libzmq errno are HypobusErrors.
 */
export interface ZmqError extends Error {
  code?: string;
  errno?: number;
  address?: string;
  detail?: string;
  status?: number;
  operation?: string;
}

/** True for an Error (zeromq.js's isFullError). */
export function isFullError(err: unknown): err is ZmqError;

/** A new CURVE key pair: 40 characters of Z85 each. */
export function curveKeypair(): { public: string; secret: string };

/** The libzmq version inside the library, e.g. '4.3.4'. */
export const version: string;

export const types: Readonly<Record<SocketType, number>>;
export const options: Readonly<{
  _fd: 14;
  _ioevents: 15;
  _receiveMore: 13;
  _subscribe: 6;
  _unsubscribe: 7;
  affinity: 4;
  backlog: 19;
  hwm: 1;
  identity: 5;
  linger: 17;
  mcast_loop: 10;
  rate: 8;
  rcvbuf: 12;
  last_endpoint: 32;
  reconnect_ivl: 18;
  recovery_ivl: 9;
  sndbuf: 11;
  swap: 3;
  mechanism: 43;
  plain_server: 44;
  plain_username: 45;
  plain_password: 46;
  curve_server: 47;
  curve_publickey: 48;
  curve_secretkey: 49;
  curve_serverkey: 50;
  zap_domain: 55;
  heartbeat_ivl: 75;
  heartbeat_ttl: 76;
  heartbeat_timeout: 77;
  connect_timeout: 79;
}>;
export const longOptions: Readonly<Record<string, number>>;
export const events: Readonly<Record<number, MonitorEventName>>;
export const MONITOR_MASK: number;

export const ZMQ_PAIR: 0;
export const ZMQ_PUB: 1;
export const ZMQ_SUB: 2;
export const ZMQ_REQ: 3;
export const ZMQ_REP: 4;
export const ZMQ_DEALER: 5;
export const ZMQ_XREQ: 5;
export const ZMQ_ROUTER: 6;
export const ZMQ_XREP: 6;
export const ZMQ_PULL: 7;
export const ZMQ_PUSH: 8;
export const ZMQ_XPUB: 9;
export const ZMQ_XSUB: 10;
export const ZMQ_STREAM: 11;
export const ZMQ_POLLIN: 1;
export const ZMQ_POLLOUT: 2;
export const ZMQ_POLLERR: 4;
export const ZMQ_SNDMORE: 2;
export const STATE_READY: 0;
export const STATE_BUSY: 1;
export const STATE_CLOSED: 2;
export const ZMQ_CAN_MONITOR: 1;
export const ZMQ_CAN_DISCONNECT: 1;
export const ZMQ_CAN_UNBIND: 1;
export const ZMQ_CAN_SET_CTX: 0;

export const ZMQ_HWM: 1;
export const ZMQ_SWAP: 3;
export const ZMQ_AFFINITY: 4;
export const ZMQ_IDENTITY: 5;
export const ZMQ_SUBSCRIBE: 6;
export const ZMQ_UNSUBSCRIBE: 7;
export const ZMQ_RATE: 8;
export const ZMQ_RECOVERY_IVL: 9;
export const ZMQ_MCAST_LOOP: 10;
export const ZMQ_SNDBUF: 11;
export const ZMQ_RCVBUF: 12;
export const ZMQ_RCVMORE: 13;
export const ZMQ_FD: 14;
export const ZMQ_EVENTS: 15;
export const ZMQ_TYPE: 16;
export const ZMQ_LINGER: 17;
export const ZMQ_RECONNECT_IVL: 18;
export const ZMQ_BACKLOG: 19;
export const ZMQ_RECOVERY_IVL_MSEC: 20;
export const ZMQ_RECONNECT_IVL_MAX: 21;
export const ZMQ_MAXMSGSIZE: 22;
export const ZMQ_SNDHWM: 23;
export const ZMQ_RCVHWM: 24;
export const ZMQ_MULTICAST_HOPS: 25;
export const ZMQ_RCVTIMEO: 27;
export const ZMQ_SNDTIMEO: 28;
export const ZMQ_IPV4ONLY: 31;
export const ZMQ_LAST_ENDPOINT: 32;
export const ZMQ_ROUTER_MANDATORY: 33;
export const ZMQ_TCP_KEEPALIVE: 34;
export const ZMQ_TCP_KEEPALIVE_CNT: 35;
export const ZMQ_TCP_KEEPALIVE_IDLE: 36;
export const ZMQ_TCP_KEEPALIVE_INTVL: 37;
export const ZMQ_TCP_ACCEPT_FILTER: 38;
export const ZMQ_DELAY_ATTACH_ON_CONNECT: 39;
export const ZMQ_XPUB_VERBOSE: 40;
export const ZMQ_ROUTER_RAW: 41;
export const ZMQ_IPV6: 42;
export const ZMQ_MECHANISM: 43;
export const ZMQ_PLAIN_SERVER: 44;
export const ZMQ_PLAIN_USERNAME: 45;
export const ZMQ_PLAIN_PASSWORD: 46;
export const ZMQ_CURVE_SERVER: 47;
export const ZMQ_CURVE_PUBLICKEY: 48;
export const ZMQ_CURVE_SECRETKEY: 49;
export const ZMQ_CURVE_SERVERKEY: 50;
export const ZMQ_ZAP_DOMAIN: 55;
export const ZMQ_ROUTER_HANDOVER: 56;
export const ZMQ_HEARTBEAT_IVL: 75;
export const ZMQ_HEARTBEAT_TTL: 76;
export const ZMQ_HEARTBEAT_TIMEOUT: 77;
export const ZMQ_CONNECT_TIMEOUT: 79;
export const ZMQ_IO_THREADS: 1;
export const ZMQ_MAX_SOCKETS: 2;

// ------------------------------------------------------------ the lab

/** The library's status names (from the header, lib/abi.d.ts), as an Error's `code`. */
export type { StatusName };

/** An error of the library, with its message (hb_error_info) and status. */
export class HypobusError extends Error {
  constructor(message: string, status: number, errno?: number);
  /** 'HB_TIMEOUT', 'HB_REMOTE', ... */
  readonly code: StatusName | string;
  /** The hb_status number. */
  readonly status: number;
  /** libzmq's errno, for HB_ZMQ and HB_CONFIG failures. */
  readonly errno?: number;
  /** The call that failed. */
  readonly operation?: string;
}

/** snake_case to camelCase: 'dropped_passive' -> 'droppedPassive'. */
type CamelCase<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<CamelCase<T>>}` : S;

/**
 * A C stats struct as stats() returns it: the fields by camelCase name, without size and reserved
 * (hb_broker_stats_t's dropped_passive is droppedPassive).
 */
type StatsOf<T> = {
  [K in keyof T as K extends 'size' | 'reserved' ? never : K extends string ? CamelCase<K> : never]: T[K];
};

/** A broker list: "HOST[:XSUB_PORT:XPUB_PORT],...", "XSUB_EP|XPUB_EP", "inproc:NAME", an array of them, or brokers. */
export type Brokers = string | { readonly brokers: string } | Array<string | { readonly brokers: string }>;

/** The roles and the task objects: each owns one handle of the library (lib/owner.js). */
declare abstract class RoleBase extends EventEmitter {
  readonly closed: boolean;
  /** Let the process end while the role runs. */
  unref(): this;
  ref(): this;
  close(): this;
}

/**
 * CURVE keys (hb_curve_config_t): `cert` the role's secret certificate file
 * or Z85 secret key, `server` the brokers' certificate file or Z85 public
 * key, `allow` (serving roles) a directory of allowed client certificates.
 */
export interface CurveOptions {
  cert?: string | null;
  server?: string | null;
  allow?: string | null;
}
/** CURVE for the roles started from now on (hb_curve_set_default); no argument: off. */
export function setCurve(opts?: CurveOptions): void;
/** Write a certificate pair, `path` (public) and `path`_secret; returns the public key (Z85). */
export function keygen(path: string, metadata?: Record<string, string>): string;
/** The keys of a certificate file (secret null in a public one). */
export function loadCertificate(path: string): { public: string; secret: string | null };

export interface AuthenticatorOptions {
  /** IP addresses allowed (every other one is denied). */
  allow?: string | string[];
  /** IP addresses denied (not with allow). */
  deny?: string | string[];
  /** PLAIN: a file of user=password lines. */
  passwords?: string;
  /** CURVE: a directory of the allowed clients' certificates. */
  curveDir?: string;
  /** CURVE: any client that knows the server key. */
  curveAny?: boolean;
}
export interface AuthStats extends StatsOf<hb_auth_stats_t> {}
/** The library's ZAP authenticator for this process's generic sockets (one per process). */
export class Authenticator extends RoleBase {
  constructor(opts?: AuthenticatorOptions);
  reload(): this;
  stats(): AuthStats;
}

export interface BrokerOptions {
  /** XSUB endpoint to bind (publishers connect); default port 5555 on every interface. */
  xsub?: string | null;
  /** XPUB endpoint to bind (subscribers connect); default port 5556 on every interface. */
  xpub?: string | null;
  /** Heartbeat endpoint; default tcp://127.0.0.1:5560; '' or false: none. */
  hb?: string | false | null;
  hbIntervalMs?: number;
  /** Also serve this process over inproc (nodes reach it as 'inproc:NAME'). */
  inprocName?: string;
  startPassive?: boolean;
  /** This role's own CURVE keys ({} = off); absent or null = the process default (setCurve). */
  curve?: CurveOptions | null;
}

export interface BrokerStats extends StatsOf<hb_broker_stats_t> {}

export class Broker extends RoleBase {
  constructor(opts?: BrokerOptions);
  /** The endpoint actually bound. */
  endpoint(which: 'xsub' | 'xpub' | 'hb' | 0 | 1 | 2): string;
  /** This broker as a broker list entry ("XSUB|XPUB"). */
  readonly brokers: string;
  stats(): BrokerStats;
  setActive(on: boolean): this;
  isActive(): boolean;
  stop(): this;
}

export interface FailoverOptions {
  role: 'primary' | 'backup' | 0 | 1;
  /** The peer's heartbeat endpoint (required). */
  peerHb: string;
  xsub?: string | null;
  xpub?: string | null;
  hb?: string | null;
  hbIntervalMs?: number;
  peerIntervalMs?: number;
  misses?: number;
  /** A control endpoint to bind (for `hypobus ctl`). */
  ctl?: string | null;
  /** This role's own CURVE keys ({} = off); absent or null = the process default (setCurve). */
  curve?: CurveOptions | null;
}

export interface FailoverState {
  active: boolean;
  /** Milliseconds since the Unix epoch. */
  atMs: number;
  reason: string;
}

export interface FailoverStats extends Omit<StatsOf<hb_failover_stats_t>, 'active'> {
  active: boolean;
}

export class FailoverBroker extends RoleBase {
  constructor(opts: FailoverOptions);
  readonly role: 'primary' | 'backup';
  isActive(): boolean;
  /** Ask this active backup to hand back to its primary. */
  handback(timeoutMs?: number): Promise<void>;
  endpoint(which: 'xsub' | 'xpub' | 0 | 1): string;
  readonly brokers: string;
  stats(): FailoverStats;
  brokerStats(): BrokerStats;
  stop(): this;
  on(event: 'state' | 'active' | 'passive', listener: (ev: FailoverState) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'state' | 'active' | 'passive', listener: (ev: FailoverState) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
}

export interface CalcOptions {
  brokers?: Brokers;
  /** How long to wait for the operation nodes' squares; 0 = 2000. */
  timeoutMs?: number;
  /** This role's own CURVE keys ({} = off); absent or null = the process default (setCurve). */
  curve?: CurveOptions | null;
}

export interface CalcStats extends StatsOf<hb_calc_stats_t> {}

export class CalcNode extends RoleBase {
  constructor(opts?: CalcOptions);
  stats(): CalcStats;
  stop(): this;
}

/** An operation: x as a number and as the exact text sent; returns a number, a BigInt or a decimal string. */
export type OpFunction = (x: number, text: string) => number | bigint | string | PromiseLike<number | bigint | string>;

export interface OpOptions {
  /** 1 (cathetus a), 2 (cathetus b), ... */
  lane: number;
  /** The operation; without it the library's built-in square serves the lane. */
  fn?: OpFunction;
  brokers?: Brokers;
  /** This role's own CURVE keys ({} = off); absent or null = the process default (setCurve). */
  curve?: CurveOptions | null;
}

export interface OpStats extends StatsOf<hb_op_stats_t> {}

export class OpNode extends RoleBase {
  constructor(opts: OpOptions);
  readonly lane: number;
  /** Requests handed to an async fn and not answered yet. */
  readonly inFlight: number;
  stats(): OpStats;
}

export interface ClientOptions {
  brokers?: Brokers;
  /** The original lab's untagged wire (one request at a time). */
  classic?: boolean;
  /** A request's default lifetime; 0 = 5000. */
  timeoutMs?: number;
  /** This role's own CURVE keys ({} = off); absent or null = the process default (setCurve). */
  curve?: CurveOptions | null;
}

export interface ClientStats extends StatsOf<hb_client_stats_t> {}

export class Client extends RoleBase {
  constructor(opts?: ClientOptions);
  /** The hypotenuse with 4 decimals, e.g. '17.6918'. */
  hypot(a: number | bigint | string, b: number | bigint | string, opts?: { timeoutMs?: number }): Promise<string>;
  inFlight(): number;
  stats(): ClientStats;
}

// ------------------------------------------------------------ task brokers

/** A request or result body: Buffers as they are, strings in UTF-8, typed arrays by their bytes. */
export type TaskBody = Buffer | string | ArrayBufferView | ArrayBuffer;

/** 'typed' is 'lru': every policy routes by service (typed routing is not a separate policy). */
export type TaskPolicy = 'lru' | 'load' | 'typed';

export interface TaskBrokerOptions {
  /** 'lru' (the course's router/router broker, the default), 'load' (least reported load), 'typed' (= 'lru'). */
  policy?: TaskPolicy;
  /** Endpoint to bind for clients; default port 5570 on every interface ('tcp://127.0.0.1:*' picks a free port). */
  frontend?: string;
  /** Endpoint to bind for workers; default port 5571 on every interface. */
  backend?: string;
  /** 'memory' (the default), 'sqlite:PATH', the path of an SQLite file, or 'postgres://USER@HOST:PORT/DB'. */
  journal?: string;
  /** The same as journal: 'sqlite:' + db. */
  db?: string;
  /** The broker's name in logs and toward peers; default task-PID. */
  name?: string;
  /** Peering: an endpoint to bind for publishing the spare capacity. */
  state?: string;
  /** Peering: the peers ('STATE_EP|FRONTEND_EP', {state, frontend} or TaskBroker objects). */
  peers?: string | Array<string | { state: string; frontend: string } | TaskBroker>;
  /** A dispatched request unanswered this long goes to another worker; 0 = 5000. */
  answerTimeoutMs?: number;
  /** Dispatches of one request before it fails; 0 = 5. */
  maxAttempts?: number;
  /** Heartbeats to and from workers; 0 = 1000. */
  hbIntervalMs?: number;
  /** Missed heartbeats before a worker or peer counts as dead; 0 = 3. */
  liveness?: number;
  /** A request for a service no worker serves waits this long, then fails; 0 = 5000. */
  serviceWaitMs?: number;
  /** Capacity publication period (peering); 0 = 1000. */
  peerIntervalMs?: number;
  /** Every commit on disk (survives power loss; slower): SQLite synchronous=FULL, PostgreSQL synchronous_commit=on. */
  fullSync?: boolean;
  /** This role's own CURVE keys ({} = off); absent or null = the process default (setCurve). */
  curve?: CurveOptions | null;
}

export interface TaskBrokerStats extends StatsOf<hb_task_broker_stats_t> {}

export class TaskBroker extends RoleBase {
  constructor(opts?: TaskBrokerOptions);
  readonly policy: TaskPolicy;
  /** 'memory' or 'sqlite:PATH'. */
  readonly journal: string;
  /** The bound frontend endpoint (wildcard port resolved). */
  readonly frontend: string;
  readonly backend: string;
  /** The capacity publication ('' without peering). */
  readonly state: string;
  endpoint(which: 'frontend' | 'backend' | 'state' | 0 | 1 | 2): string;
  stats(): TaskBrokerStats;
  stop(): this;
  [Symbol.dispose](): void;
}

/** A request taken by a worker. */
export class Job {
  private constructor();
  /** The request id (the client's; the broker's for a course client). */
  readonly id: string;
  /** The service ('' = the default service). */
  readonly service: string;
  readonly body: Buffer;
  readonly answered: boolean;
  reply(data: TaskBody): void;
  error(reason: string | Error): void;
}

/** Returns (or resolves to) the result; a throw, a rejection or another type becomes an error reply. */
export type TaskHandler = (body: Buffer, job: Job) => TaskBody | PromiseLike<TaskBody>;

export interface TaskWorkerOptions {
  /** The broker's backend endpoint (default tcp://127.0.0.1:5571), or the TaskBroker. */
  broker?: string | TaskBroker;
  /** The services served ('A,B' or ['A', 'B']); default the default service. */
  services?: string | string[];
  /** Requests held at once (handler calls in flight, or jobs held from recv); default 1. */
  threads?: number;
  /** The same as threads. */
  concurrency?: number;
  /** Prefix of the worker's routing id; default 'w'. */
  name?: string;
  /** The load to report (negative or 'auto' = the share of slots in use). */
  load?: number | 'auto';
  hbIntervalMs?: number;
  liveness?: number;
  /** Handler style: answers every request on the main thread. Without it: pull style (recv). */
  handler?: TaskHandler;
  /** This role's own CURVE keys ({} = off); absent or null = the process default (setCurve). */
  curve?: CurveOptions | null;
}

export interface TaskWorkerStats extends StatsOf<hb_task_worker_stats_t> {
  /** Handler calls not finished (handler style). */
  running: number;
}

export class TaskWorker extends RoleBase {
  constructor(opts?: TaskWorkerOptions);
  readonly threads: number;
  readonly services: string[];
  /** Jobs taken and not answered yet. */
  readonly inFlight: number;
  /** Pull style: the next job within timeoutMs (default 1000), or null. */
  recv(timeoutMs?: number): Promise<Job | null>;
  [Symbol.asyncIterator](): AsyncIterator<Job>;
  setLoad(load: number | 'auto' | null): this;
  stats(): TaskWorkerStats;
  stop(): this;
  [Symbol.dispose](): void;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

export interface TaskClientOptions {
  /** The broker's frontend endpoint (default tcp://127.0.0.1:5570), or the TaskBroker. */
  broker?: string | TaskBroker;
  /** Sends of one request before it gives up; 0 = 3. */
  tries?: number;
  /** Wait per try before the request is sent again (same id); 0 = 2500. */
  timeoutMs?: number;
  /** Prefix of the request ids and routing id; default 'c'. */
  name?: string;
  /** This role's own CURVE keys ({} = off); absent or null = the process default (setCurve). */
  curve?: CurveOptions | null;
}

export type TaskOutcome = 'ok' | 'failed' | 'gave_up' | 'unknown';

export interface TaskResult {
  id: string;
  outcome: TaskOutcome;
  ok: boolean;
  /** The result (outcome 'ok'), else null. */
  body: Buffer | null;
  /** The reason ('failed', 'gave_up'), else null. */
  error: string | null;
}

export interface TaskClientStats extends StatsOf<hb_task_client_stats_t> {}

/** A task that failed, gave up or is unknown (code 'HB_REMOTE'). */
export class TaskError extends HypobusError {
  readonly id: string;
  readonly outcome: TaskOutcome;
  readonly reason: string;
}

export class TaskClient extends RoleBase {
  constructor(opts?: TaskClientOptions);
  readonly inFlight: number;
  /** Submit and return the id at once; the outcome comes through result(id), next() or results(). */
  submit(body: TaskBody, opts?: { service?: string; id?: string }): string;
  /** One request: the result, or a TaskError / HypobusError ('HB_TIMEOUT' when timeoutMs ran out). */
  request(body: TaskBody, opts?: { service?: string; id?: string; timeoutMs?: number }): Promise<Buffer>;
  result(id: string): Promise<TaskResult>;
  /** Ask the broker for a stored (or running) request's outcome by id. */
  fetch(id: string): Promise<TaskResult>;
  /** The next outcome of a submit(), or null after timeoutMs (default 5000). */
  next(timeoutMs?: number): Promise<TaskResult | null>;
  /** Outcomes of everything submitted, until nothing is in flight. */
  results(): AsyncGenerator<TaskResult, void, undefined>;
  stats(): TaskClientStats;
  [Symbol.dispose](): void;
  on(event: 'result', listener: (r: TaskResult) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

export interface Log extends EventEmitter {
  /** Log lines to stderr; 'line' listeners get them as events. */
  enable(opts?: { stderr?: boolean }): this;
  on(event: 'line', listener: (line: string) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

export const log: Log;
/** libhypobus's version, e.g. '0.1.0'. */
export const libraryVersion: string;
/** The C ABI version, e.g. '1.0'. */
export const abiVersion: string;
/** The libhypobus.so this package loaded. */
export const libraryPath: string;
/** The raw C ABI through koffi (functions by C name in `native.fn`). */
export const native: {
  fn: Record<string, (...args: any[]) => any>;
  S: Readonly<Record<StatusName, number>>;
  STATUS_NAMES: readonly StatusName[];
  LIB_FILE: string;
  ABI: { major: number; minor: number };
  [key: string]: unknown;
};
