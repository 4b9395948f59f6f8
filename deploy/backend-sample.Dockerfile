# backend-sample: answers a `whoami` line with its --name and echoes every other byte. Build from the
# repository root, after `mvn package`:
#
#   deploy/local-jre-image.sh
#   docker build -f deploy/backend-sample.Dockerfile --build-arg JRE_IMAGE=weir-jre:local -t weir-backend-sample .
#   docker run --rm -p 9001:9001 weir-backend-sample --name alpha --port 9001
#
# JRE_IMAGE as in deploy/Dockerfile: weir-jre:local (no registry needed) or the default from Docker Hub.
ARG JRE_IMAGE=eclipse-temurin:21-jre
FROM ${JRE_IMAGE}

COPY backend-sample/target/backend-sample.jar /opt/weir/backend-sample.jar

USER 10001:10001
WORKDIR /tmp
EXPOSE 9001
STOPSIGNAL SIGTERM

ENTRYPOINT ["java", "-XX:MaxRAMPercentage=50", "-jar", "/opt/weir/backend-sample.jar"]
# Every address by default here (the jar's own default is 127.0.0.1). Arguments given to `docker run`
# replace all of these.
CMD ["--name", "sample", "--port", "9001", "--host", "0.0.0.0"]
