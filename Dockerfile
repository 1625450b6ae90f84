# Builds Cordon the way the README does (npm ci, then the TypeScript build), then keeps only what runs.
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
RUN mkdir -p /data && chown node:node /data
USER node
ENV CORDON_HOST=0.0.0.0 CORDON_DATA_DIR=/data NODE_ENV=production
EXPOSE 4873
VOLUME ["/data"]
CMD ["node", "dist/server/main.js"]
