# cairn's image: `cairn serve` by default; `collector`, `engine` and `api` run
# one role each (see docker-compose.yml). test/deploy/dockerfile.test.ts follows
# this file without Docker: every COPY, RUN and the ENTRYPOINT run there too.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# glibc keeps freed memory in per-thread malloc arenas (8 per core by default);
# two keep the collector's peak RSS about 90 MiB lower at the same throughput
# (docs/performance.md, the collector's memory run). The embedded engine's
# own allocator is set by cairn itself (storage/allocator.ts, docs/storage.md).
ENV MALLOC_ARENA_MAX=2
COPY package.json package-lock.json ./
# npm install, not npm ci, as CI does (.ci/run): chdb lists engine packages for
# other platforms, which the lock file cannot hold, so npm ci refuses it.
RUN npm install --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY config ./config
COPY storage ./storage
COPY collector ./collector
COPY slo-engine ./slo-engine
COPY alerts ./alerts
COPY dashboards ./dashboards
COPY api ./api
COPY ui ./ui
COPY cli ./cli
COPY instrumentation ./instrumentation
COPY isolation ./isolation
COPY gate ./gate
COPY reports ./reports
# cairn's SLOs on itself, in the default CAIRN_SLO_DIR (docs/self-monitoring.md)
COPY slos ./slos
# The embedded store (CAIRN_DATA_DIR=./data) belongs to the user cairn runs as;
# mount a volume here to keep it.
RUN mkdir -p data && chown node:node data
USER node
VOLUME /app/data
EXPOSE 4318 8080
ENTRYPOINT ["node", "bin/cairn.js"]
CMD ["serve"]
