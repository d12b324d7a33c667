# One image for web, worker and scheduler; the command chooses the process.
#   docker run IMAGE web | worker | scheduler | <any manage.py command>
FROM python:3.13-slim AS build
WORKDIR /app
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /venv
COPY pyproject.toml constraints.txt README.md ./
COPY config config
COPY api api
COPY jobs jobs
COPY audit audit
COPY accounts accounts
RUN /venv/bin/pip install -c constraints.txt .

FROM python:3.13-slim
RUN useradd --system --uid 10001 --home-dir /app conveyor
WORKDIR /app
COPY --from=build /venv /venv
COPY --chown=conveyor . .
RUN install -d -o conveyor -g conveyor /app/var
ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1 CONVEYOR_ENV=production
USER conveyor
# Static files (admin, django-rq, Swagger UI, ReDoc), hashed and compressed once, at build time;
# the app serves them itself (WhiteNoise). The key only lets settings load; nothing is signed.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput --verbosity 0
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)" || exit 1
ENTRYPOINT ["/app/docker-entrypoint.sh"]
CMD ["web"]
