# The app runs TypeScript directly on Node 24 (type stripping): no build step.
FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=dev leaves out the test tools and the pinned `node` package (the image has Node 24).
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY src ./src
COPY federation ./federation
COPY migrations ./migrations
USER node
ENV HOST=0.0.0.0 PORT=3000
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--max-semi-space-size=4", "src/main.ts"]
