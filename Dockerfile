FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
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
# cairn's SLOs on itself, in the default CAIRN_SLO_DIR (docs/self-monitoring.md)
COPY slos ./slos
USER node
EXPOSE 4318 8080
ENTRYPOINT ["node", "bin/cairn.js"]
CMD ["serve"]
