/**
 * Every setting of the runner: name, default as written in the environment, meaning. The README
 * table is checked against this list (tests/unit/readme-config.test.ts); config.ts parses them.
 */
export interface ConfigVariable {
  /** Environment variable name. */
  name: string;
  /** Default, as written in the environment. '' means "empty / computed" (see meaning). */
  default: string;
  meaning: string;
}

export const CONFIG_VARIABLES: readonly ConfigVariable[] = [
  { name: 'PORT', default: '4321', meaning: 'TCP port of the runner (site, API, terminals). 0 picks a free port.' },
  { name: 'HOST', default: '127.0.0.1', meaning: 'Address the runner listens on.' },
  { name: 'RUNNER_ID', default: 'registry-lab', meaning: 'Label value on every Docker object of this runner, and the name of its database: started again with the same id, it takes over the sandboxes of unexpired sessions and removes the rest.' },
  { name: 'SITE_DIR', default: 'site/dist', meaning: 'Built course site served on the same origin (relative to the repository root).' },
  { name: 'DATA_DIR', default: '.data', meaning: 'Folder of the runner\'s database (<RUNNER_ID>.sqlite: sessions, checks, quiz answers), relative to the repository root; sessions survive a restart through it. `npm run reset` deletes this runner\'s file.' },
  { name: 'LABS_DIR', default: 'labs', meaning: 'Folder of labs (relative to the repository root).' },
  { name: 'SESSION_TTL_MS', default: '7200000', meaning: 'Lifetime of a new session, and what one extend adds (2 h). Accepts ms or a unit: 90s, 30m, 2h.' },
  { name: 'SESSION_IDLE_MS', default: '1800000', meaning: 'A session with no terminal connected for this long ends (30 min).' },
  { name: 'SESSION_MAX_TTL_MS', default: '14400000', meaning: 'Cap on a session lifetime counted from its creation; extending beyond it answers 409 (4 h).' },
  { name: 'SESSION_WARN_BEFORE_MS', default: '300000', meaning: 'Terminals get {"type":"expiring"} this long before the session ends (5 min).' },
  { name: 'SESSION_STOPPED_KEEP_MS', default: '600000', meaning: 'How long an ended session still answers GET with state "stopped" before it becomes 404 (10 min).' },
  { name: 'SESSION_PROBE_MS', default: '5000', meaning: 'How often the runner checks that every ready sandbox still runs; a dead workstation stops its session with reason "died" (0: never).' },
  { name: 'SESSION_START_TIMEOUT_MS', default: '180000', meaning: 'Upper bound for a sandbox to become ready (3 min).' },
  { name: 'WARM_POOL_SIZE', default: '2', meaning: 'Ready sandboxes kept in advance; a new session claims one and is ready at once.' },
  { name: 'MAX_SESSIONS', default: '20', meaning: 'Sessions at once; beyond it POST /api/sessions answers 503 with Retry-After.' },
  { name: 'MAX_SESSIONS_PER_CLIENT', default: '3', meaning: 'Sessions at once per client address; beyond it 429.' },
  { name: 'MAX_SESSION_CREATES_PER_MINUTE', default: '20', meaning: 'Sessions one client address may create per minute (a create/delete loop costs a sandbox each time); beyond it 429 with Retry-After.' },
  { name: 'MAX_TERMINALS_PER_SESSION', default: '8', meaning: 'Terminals open at once on one session; beyond it the upgrade answers 429.' },
  { name: 'WORKSTATION_MEMORY', default: '2g', meaning: 'Memory limit of a workstation container (b, k, m, g).' },
  { name: 'WORKSTATION_CPUS', default: '1', meaning: 'CPU limit of a workstation container (may be fractional).' },
  { name: 'WORKSTATION_PIDS', default: '2048', meaning: 'Process limit of a workstation container.' },
  { name: 'REGISTRY_MEMORY', default: '256m', meaning: 'Memory limit of a session registry container.' },
  { name: 'REGISTRY_PIDS', default: '256', meaning: 'Process limit of a session registry container.' },
  { name: 'LOG_MAX_SIZE', default: '1m', meaning: 'json-file log size per container.' },
  { name: 'ALLOWED_ORIGINS', default: '', meaning: 'Comma-separated browser origins allowed to open terminals and to call state-changing API routes (requests without Origin are allowed). Empty: the origin of the request Host, http://127.0.0.1:PORT and http://localhost:PORT.' },
  { name: 'ALLOWED_HOSTS', default: '', meaning: 'Comma-separated host names the runner answers to (the Host header, port ignored; refuses DNS rebinding). Empty: localhost, any IP address (an address cannot be rebound), the HOST address and the hosts of ALLOWED_ORIGINS. * answers any host.' },
  { name: 'TRUSTED_PROXIES', default: '', meaning: 'Comma-separated addresses or CIDR ranges of reverse proxies: for a connection from one of them the client address (per-client limits) is read from X-Forwarded-For. Empty: the connection address is the client.' },
  { name: 'METRICS_ALLOW', default: '', meaning: 'Comma-separated addresses or CIDR ranges that may read GET /metrics (Prometheus) without a token; loopback always may. Behind a trusted proxy the forwarded client address counts.' },
  { name: 'METRICS_TOKEN', default: '', meaning: 'Bearer token (16+ characters) with which any address may read GET /metrics. Empty: only loopback and METRICS_ALLOW.' },
  { name: 'REQUEST_TIMEOUT_MS', default: '60000', meaning: 'Time a client has to send a whole request (headers and body); a slower one gets 408 (1 min).' },
  { name: 'RUNNER_CONTAINER', default: '', meaning: 'Name of the runner\'s own container when it runs inside Docker (docker-compose.yml): it then joins each session network to reach session registries and probed images. Empty when the runner runs on the host.' },
  { name: 'WORKSTATION_IMAGE', default: 'registry-lab/workstation:2', meaning: 'Image of the learner workstation (its own rootless Docker engine, docs/security.md).' },
  { name: 'START_CONCURRENCY', default: '0', meaning: 'Cold starts run at once at most. 0: adaptive, from 1 up to one per core of the host, a slot more kept only while the host really runs that many at once (measured: a start beside the others takes at most 1.2 times as long as with one fewer). An operator who prefers the most starts per second on a small host, each of them slower, sets 2. Further starts wait in order, learners before warm-pool refills, and GET /api/sessions/:id shows a waiting learner their place and an estimate.' },
  { name: 'WORKSTATION_NET', default: 'slirp4netns', meaning: 'User-mode network of the inner rootless engine: slirp4netns or pasta (passt). Both are in the image; pasta was no faster here (README, Benchmark), so slirp4netns stays the default.' },
  { name: 'WORKSTATION_RUNTIME', default: '', meaning: 'OCI runtime of workstations, e.g. sysbox-runc or runsc where the host has it (docs/security.md). Empty: the engine\'s default (runc).' },
  { name: 'EGRESS', default: 'open', meaning: 'What a sandbox may reach beyond its registry, the mirror and DNS: open (the internet), allowlist (EGRESS_ALLOW only) or none. Private, link-local and the host\'s own addresses are never reachable.' },
  { name: 'EGRESS_ALLOW', default: '', meaning: 'With EGRESS=allowlist: comma-separated IPv4 addresses, CIDRs or host names (resolved when a sandbox starts).' },
  { name: 'SESSION_DISK_QUOTA', default: '10g', meaning: 'Disk a session may fill: two thirds for the home (with the inner engine storage), one third for the data of the session registries, each an ext4 file system of its own on a loop device; needs the runner to be root on the Docker host, otherwise no quota. 0: none.' },
  { name: 'QUOTA_DIR', default: '/var/lib/registry-lab/quota', meaning: 'Where the sparse files of the session disk quotas live.' },
  { name: 'TERMINAL_DIR', default: '/run/registry-lab/terminals', meaning: 'Where the runner keeps a socket per session, mounted read-only into its workstation, through which terminals reach their shell without the engine\'s exec stream (faster keystroke echo). Needs the runner on the Docker host (not in a container: RUNNER_CONTAINER set); elsewhere, or empty, terminals use docker exec.' },
  { name: 'REGISTRY_IMAGE', default: 'registry-lab/registry:2', meaning: 'Image of the per-session registry.' },
  { name: 'MIRROR_IMAGE', default: 'registry-lab/mirror:latest', meaning: 'Image of the read-only mirror shared by the sessions of a runner.' },
  { name: 'SANDBOX_BACKEND', default: 'docker', meaning: 'Where sandboxes run: docker (the local engine) or kubernetes (one Pod per session in KUBE_NAMESPACE; README "Kubernetes").' },
  { name: 'KUBE_NAMESPACE', default: 'registry-lab', meaning: 'With SANDBOX_BACKEND=kubernetes: the namespace of the session Pods, the mirror and the policies (it must exist).' },
  { name: 'KUBECONFIG', default: '', meaning: 'With SANDBOX_BACKEND=kubernetes: path of a kubeconfig. Empty: the in-cluster service account (the runner as a Pod), else ~/.kube/config.' },
  { name: 'KUBE_SECCOMP_PROFILE', default: 'registry-lab/rootless-engine.json', meaning: 'With SANDBOX_BACKEND=kubernetes: the workstation\'s Localhost seccomp profile, relative to the kubelet\'s seccomp folder (the node must have it: README "Kubernetes").' },
  { name: 'BODY_LIMIT', default: '65536', meaning: 'Largest accepted request body in bytes; larger answers 413.' },
  { name: 'TERMINAL_MAX_FRAME', default: '1048576', meaning: 'Largest accepted WebSocket frame from a client in bytes; larger closes with 1009.' },
  { name: 'INSTRUCTOR_TOKEN', default: '', meaning: 'Operator token of workshops (creates and lists them; at least 16 characters). Empty: made at the first start and kept in DATA_DIR/<RUNNER_ID>.operator-token (mode 0600); the log says where, never the token.' },
  { name: 'WORKSHOP_WRONG_CODES_PER_MINUTE', default: '10', meaning: 'Wrong workshop join codes one client address may send per minute; beyond it every join of that client answers 429 until the minute has passed.' },
  { name: 'HELP_CONTACT', default: '', meaning: 'Self-study help: an e-mail address or https:// link offered under "Need help" to learners outside workshops (GET /api/help/contact). Empty: no button outside workshops.' },
  { name: 'HELP_HANDS_PER_HOUR', default: '6', meaning: 'Requests for help ("raise a hand") one workshop learner may make per hour; one may be open at a time. Beyond it 429 too_many_hands.' },
  { name: 'TAKEOVER_MAX_MS', default: '900000', meaning: 'A take-over of a learner\'s terminal (allowed by the learner) ends by itself after this long (15 min); an ask the learner does not answer ends after 1 min.' },
  { name: 'RECORDING_MAX_BYTES', default: '5m', meaning: 'Workshop terminals are recorded (asciicast v2) in DATA_DIR/workshops; this bounds all recordings of one session together (b, k, m, g). 0: no recordings.' },
  { name: 'RECORDING_INPUT', default: 'false', meaning: 'true: recordings also keep what was typed ("i" events); otherwise only output and resizes.' },
  { name: 'WORKSHOP_DATA_RETENTION_MS', default: '7d', meaning: 'Help requests, the take-over log and the recordings of a workshop are removed this long after the workshop ended (7 days; ms or a unit: 12h, 30d).' },
  { name: 'LOG_LEVEL', default: 'info', meaning: 'fatal, error, warn, info, debug, trace or silent.' },
];
