# One image for both app processes; docker-compose.yml picks the worker or the API by command,
# each run as its package.json script runs it but with no npm in between, so that docker stop's
# SIGTERM reaches the process itself. The config and secrets are mounted at run time (see .dockerignore), never built in.
FROM node:20-slim

WORKDIR /app

# Dependencies first, so a code change reuses this layer. Dev dependencies stay: the shipped config
# starts server-everything, a dev dependency, from node_modules.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund && npm cache clean --force

COPY . .

# The OAuth token folder (docker-compose.yml mounts a volume here): a new volume takes this owner.
RUN mkdir -p /app/tokens && chown node:node /app/tokens && chmod 700 /app/tokens

USER node
EXPOSE 3000
CMD ["node", "--import", "tsx", "src/api/main.ts"]
