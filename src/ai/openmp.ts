/**
 * FAISS runs its loops on OpenMP threads, which by default spin while they wait for work. A worker
 * searches one query at a time between other activities, so spinning threads only take the CPU from
 * the event loop and the embedding model: on a busy 2-core machine one HNSW query took 13 ms with
 * spinning threads and 0.8 ms without (`npm run bench:retrieval`). libgomp reads the policy once,
 * when it loads, so this module is imported before faiss-node; an explicit setting wins.
 */
process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
