-- Ferry control plane: the system of record.

CREATE TABLE tenants (
  id          uuid PRIMARY KEY,
  name        text NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL
);

CREATE TABLE tokens (
  id          uuid PRIMARY KEY,
  tenant_id   uuid NOT NULL REFERENCES tenants(id),
  name        text NOT NULL,
  role        text NOT NULL CHECK (role IN ('VIEWER', 'OPERATOR', 'ADMIN')),
  secret_hash text NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL,
  revoked_at  timestamptz
);
CREATE INDEX tokens_tenant ON tokens (tenant_id);

CREATE TABLE sites (
  id          uuid PRIMARY KEY,
  tenant_id   uuid NOT NULL REFERENCES tenants(id),
  name        text NOT NULL,
  description text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL,
  UNIQUE (tenant_id, name)
);

CREATE TABLE endpoints (
  id          uuid PRIMARY KEY,
  tenant_id   uuid NOT NULL REFERENCES tenants(id),
  site_id     uuid NOT NULL REFERENCES sites(id),
  name        text NOT NULL,
  uri         text NOT NULL,
  credentials bytea,
  created_at  timestamptz NOT NULL,
  deleted_at  timestamptz
);
CREATE UNIQUE INDEX endpoints_live_name ON endpoints (tenant_id, name) WHERE deleted_at IS NULL;

CREATE TABLE jobs (
  id                uuid PRIMARY KEY,
  tenant_id         uuid NOT NULL REFERENCES tenants(id),
  state             text NOT NULL,
  mode              text NOT NULL,
  checksum          text NOT NULL,
  overwrite         text NOT NULL,
  priority          int  NOT NULL DEFAULT 0,
  source_endpoint   uuid NOT NULL REFERENCES endpoints(id),
  source_path       text NOT NULL,
  dest_endpoint     uuid NOT NULL REFERENCES endpoints(id),
  dest_path         text NOT NULL,
  source_site       text NOT NULL,
  dest_site         text NOT NULL,
  files_total       bigint NOT NULL DEFAULT 0,
  bytes_total       bigint NOT NULL DEFAULT 0,
  files_done        bigint NOT NULL DEFAULT 0,
  bytes_done        bigint NOT NULL DEFAULT 0,
  files_skipped     bigint NOT NULL DEFAULT 0,
  files_failed      bigint NOT NULL DEFAULT 0,
  bytes_failed      bigint NOT NULL DEFAULT 0,
  first_error       jsonb,
  last_error        jsonb,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  started_at        timestamptz,
  finished_at       timestamptz,
  version           bigint NOT NULL DEFAULT 0
);
CREATE INDEX jobs_tenant_created ON jobs (tenant_id, created_at DESC, id DESC);
CREATE INDEX jobs_state ON jobs (state) WHERE state IN ('SUBMITTED', 'PLANNING', 'RUNNING');

-- One row per (tenant, Idempotency-Key): the request's hash and the response first given.
CREATE TABLE idempotency_keys (
  tenant_id     uuid NOT NULL REFERENCES tenants(id),
  key           text NOT NULL,
  request_hash  text NOT NULL,
  job_id        uuid NOT NULL REFERENCES jobs(id),
  response_body text NOT NULL,
  created_at    timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, key)
);

CREATE TABLE job_events (
  id         bigserial PRIMARY KEY,
  job_id     uuid NOT NULL REFERENCES jobs(id),
  at         timestamptz NOT NULL,
  type       text NOT NULL,
  details    jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX job_events_job ON job_events (job_id, id);

CREATE TABLE tasks (
  id               uuid PRIMARY KEY,
  job_id           uuid NOT NULL REFERENCES jobs(id),
  tenant_id        uuid NOT NULL REFERENCES tenants(id),
  seq              int NOT NULL,
  state            text NOT NULL,
  attempt          int NOT NULL DEFAULT 1,
  max_attempts     int NOT NULL,
  source_site      text NOT NULL,
  dest_site        text NOT NULL,
  files            jsonb NOT NULL,
  file_count       int NOT NULL,
  bytes_total      bigint NOT NULL,
  retry_of         uuid REFERENCES tasks(id),
  worker_id        text,
  lease_expires_at timestamptz,
  not_before       timestamptz,
  dispatched_at    timestamptz,
  bytes_done       bigint NOT NULL DEFAULT 0,
  files_done       int NOT NULL DEFAULT 0,
  results          jsonb,
  first_error      jsonb,
  last_error       jsonb,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  finished_at      timestamptz,
  version          bigint NOT NULL DEFAULT 0,
  UNIQUE (job_id, seq)
);
CREATE INDEX tasks_job ON tasks (job_id, seq);
CREATE INDEX tasks_pending ON tasks (not_before) WHERE state = 'PENDING';
CREATE INDEX tasks_running_lease ON tasks (lease_expires_at) WHERE state = 'RUNNING';
CREATE INDEX tasks_dispatched ON tasks (dispatched_at) WHERE state = 'DISPATCHED';

-- Transactional outbox: written in the same transaction as the change it announces.
CREATE TABLE outbox (
  id           bigserial PRIMARY KEY,
  event_id     uuid NOT NULL UNIQUE,
  topic        text NOT NULL,
  event_key    text NOT NULL,
  payload      text NOT NULL,
  created_at   timestamptz NOT NULL,
  published_at timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;

-- Inbox: event ids a consumer has already applied, written in the same transaction as the effect.
CREATE TABLE inbox (
  consumer    text NOT NULL,
  event_id    text NOT NULL,
  received_at timestamptz NOT NULL,
  PRIMARY KEY (consumer, event_id)
);

-- Worker callback ids seen inside the signature window, to reject replays.
CREATE TABLE callback_ids (
  id          text PRIMARY KEY,
  received_at timestamptz NOT NULL
);
CREATE INDEX callback_ids_received ON callback_ids (received_at);
