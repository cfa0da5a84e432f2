"""Pipeline jobs on NATS JetStream: names, job records (a key-value bucket
advanced with compare-and-set), stage results (an object store), events,
the flow from stage to stage, and the runtime every service's stage worker
runs on."""
