# Multi-stage image of the gateway: build with the Maven wrapper on a JDK 25, run on a JRE 25 as a
# non-root user, with Spring Boot's layered jar so dependency layers are cached between releases.
# Build: docker build -t malipo-gateway:<version> .   (CI runners; our dev machines have no Docker)

FROM eclipse-temurin:25-jdk AS build
WORKDIR /src
COPY .mvn/ .mvn/
COPY mvnw pom.xml ./
RUN ./mvnw -B -q dependency:go-offline
COPY src/ src/
RUN ./mvnw -B -q package -DskipTests \
 && java -Djarmode=tools -jar target/malipo-gateway-*.jar extract --layers --launcher --destination /layers

FROM eclipse-temurin:25-jre
# uid/gid 1002/1000 as pinned by k8s/base/deployment.yaml (runAsUser / runAsGroup).
RUN groupadd --gid 1000 malipo && useradd --uid 1002 --gid 1000 --no-create-home --shell /usr/sbin/nologin malipo
WORKDIR /app
COPY --from=build /layers/dependencies/ ./
COPY --from=build /layers/spring-boot-loader/ ./
COPY --from=build /layers/snapshot-dependencies/ ./
COPY --from=build /layers/application/ ./
USER 1002:1000
EXPOSE 8080
# Container-aware heap; /tmp is an emptyDir in k8s (read-only root filesystem).
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=70 -XX:+ExitOnOutOfMemoryError -Djava.io.tmpdir=/tmp"
ENTRYPOINT ["java", "org.springframework.boot.loader.launch.JarLauncher"]
