-- Resume points of large files in progress, by source path (see ResumePoint), and the running
-- attempt's transfer rate from its last heartbeat.
ALTER TABLE tasks ADD COLUMN resume jsonb NOT NULL DEFAULT '{}';
ALTER TABLE tasks ADD COLUMN bytes_per_second bigint NOT NULL DEFAULT 0;
