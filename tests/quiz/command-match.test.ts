import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalCommand,
  commandMatches,
  normalizeImageRef,
  textMatches,
  tokenize,
} from '../../quiz/match/command-match.ts';

test('image references: library, docker.io and latest are implied', () => {
  const canon = 'docker.io/library/nginx:latest';
  for (const r of ['nginx', 'nginx:latest', 'library/nginx', 'docker.io/library/nginx', 'index.docker.io/library/nginx:latest', 'docker.io/nginx']) {
    assert.equal(normalizeImageRef(r), canon, r);
  }
  assert.equal(normalizeImageRef('localhost:5000/app'), 'localhost:5000/app:latest');
  assert.equal(normalizeImageRef('localhost:5000/team/app:1.0'), 'localhost:5000/team/app:1.0');
  assert.equal(normalizeImageRef('user/app:v2'), 'docker.io/user/app:v2');
  assert.equal(normalizeImageRef('busybox@sha256:abc'), 'docker.io/library/busybox@sha256:abc');
  assert.equal(normalizeImageRef('ghcr.io/org/tool'), 'ghcr.io/org/tool:latest');
});

test('management command aliases', () => {
  const pairs: Array<[string, string]> = [
    ['docker image pull nginx', 'docker pull nginx'],
    ['docker image push localhost:5000/app:1.0', 'docker push localhost:5000/app:1.0'],
    ['docker image tag busybox localhost:5000/busybox', 'docker tag busybox:latest localhost:5000/busybox:latest'],
    ['docker image ls', 'docker images'],
    ['docker image list', 'docker images'],
    ['docker container run --rm busybox echo hi', 'docker run --rm busybox echo hi'],
    ['docker image rm nginx', 'docker rmi nginx'],
    ['docker image inspect nginx', 'docker inspect nginx'],
    ['docker image history nginx', 'docker history nginx'],
    ['docker container ls -a', 'docker ps --all'],
    ['docker buildx build -t app .', 'docker build --tag app .'],
  ];
  for (const [a, b] of pairs) assert.ok(commandMatches(a, [b]), `${a} = ${b}`);
});

test('prompt, sudo, spaces, quotes', () => {
  assert.ok(commandMatches('$ docker pull nginx', ['docker pull nginx']));
  assert.ok(commandMatches('$docker pull nginx', ['docker pull nginx']));
  assert.ok(commandMatches('sudo docker   pull    nginx  ', ['docker pull nginx']));
  assert.ok(commandMatches('  docker pull "nginx"', ['docker pull nginx']));
  assert.ok(commandMatches('docker pull library/nginx:latest', ['docker pull nginx']));
  assert.ok(commandMatches('docker pull docker.io/library/nginx', ['docker pull nginx']));
});

test('flag order, --flag=value, short aliases and combined short flags', () => {
  assert.ok(commandMatches('docker build --tag=localhost:5000/app:1.0 --file Dockerfile .', ['docker build -f Dockerfile -t localhost:5000/app:1.0 .']));
  assert.ok(commandMatches('docker run -it --rm busybox sh', ['docker run --rm -i -t busybox sh']));
  assert.ok(commandMatches('docker run --name=web -d nginx', ['docker run -d --name web nginx']));
  assert.ok(commandMatches('docker images --format "{{.Repository}}"', ['docker images --format={{.Repository}}']));
  assert.ok(commandMatches('docker login -u alice localhost:5000', ['docker login --username alice localhost:5000']));
  assert.ok(commandMatches('docker pull --platform=linux/arm64 busybox', ['docker pull --platform linux/arm64 busybox']));
});

test('different commands stay different', () => {
  assert.ok(!commandMatches('docker pull nginx:1.27', ['docker pull nginx']));
  assert.ok(!commandMatches('docker push nginx', ['docker pull nginx']));
  assert.ok(!commandMatches('docker tag a b', ['docker tag b a']));
  assert.ok(!commandMatches('docker run busybox --rm', ['docker run --rm busybox']), 'flags after the image belong to the container');
  assert.ok(!commandMatches('docker build -t app .', ['docker build -t other .']));
  assert.ok(!commandMatches('', ['docker pull nginx']));
  assert.ok(!commandMatches('docker pull user/nginx', ['docker pull nginx']));
});

test('other programs: spaces, prompt and --flag=value', () => {
  assert.ok(commandMatches('$ skopeo   inspect --tls-verify=false docker://localhost:5000/app', ['skopeo inspect --tls-verify false docker://localhost:5000/app']));
  assert.ok(commandMatches('curl http://localhost:5000/v2/_catalog', ['curl http://localhost:5000/v2/_catalog']));
  assert.deepEqual(canonicalCommand('sudo cosign sign --key cosign.key img'), ['cosign', '--key=cosign.key', 'sign', 'img']);
});

test('tokenize honours quotes', () => {
  assert.deepEqual(tokenize(`echo 'a b' "c d" e\\ f`), ['echo', 'a b', 'c d', 'e f']);
});

test('text answers ignore case, spaces and punctuation', () => {
  assert.ok(textMatches('  Docker  Hub! ', ['docker hub']));
  assert.ok(textMatches('манифест.', ['Манифест']));
  assert.ok(textMatches('ёлка', ['елка']));
  assert.ok(textMatches('sha256', ['SHA-256']));
  assert.ok(!textMatches('', ['x']));
  assert.ok(!textMatches('слой', ['манифест']));
});

test('curl, htpasswd and cosign: flag order, combined short flags, default scheme, output-only flags', () => {
  assert.ok(commandMatches('curl -sS localhost:5000/v2/_catalog | jq', ['curl http://localhost:5000/v2/_catalog']));
  assert.ok(commandMatches('curl -fsSL http://localhost:5000/v2/_catalog | jq .', ['curl http://localhost:5000/v2/_catalog']));
  assert.ok(commandMatches("curl -X DELETE -H 'Accept: x' localhost:5000/v2/a/manifests/sha256:1", ['curl --header "Accept: x" --request DELETE http://localhost:5000/v2/a/manifests/sha256:1']));
  assert.ok(!commandMatches('curl -I http://localhost:5000/v2/_catalog', ['curl http://localhost:5000/v2/_catalog']), 'HEAD is another request');
  assert.ok(!commandMatches('curl http://localhost:5000/v2/', ['curl http://localhost:5000/v2/_catalog']));
  for (const form of ['htpasswd -Bbn alice s3cret', 'htpasswd -nbB alice s3cret', 'htpasswd -bnB alice s3cret', 'htpasswd -B -n -b alice s3cret', 'htpasswd -nB -b alice s3cret']) {
    assert.ok(commandMatches(form, ['htpasswd -Bbn alice s3cret']), form);
  }
  assert.ok(!commandMatches('htpasswd -Bbn s3cret alice', ['htpasswd -Bbn alice s3cret']), 'user and password are positional');
  assert.ok(!commandMatches('htpasswd -bn alice s3cret', ['htpasswd -Bbn alice s3cret']), 'without -B the hash is not bcrypt');
  assert.ok(commandMatches('cosign verify registry.example.com/team/my-api:1.0 --key=cosign.pub', ['cosign verify --key cosign.pub registry.example.com/team/my-api:1.0']));
});

test('text answers with an open end (` …`) accept what follows their words', () => {
  const accepted = ['COPY --from=build …'];
  assert.ok(textMatches('COPY --from=build /out/app /app', accepted));
  assert.ok(textMatches('copy --from build /out/app /app', accepted));
  assert.ok(textMatches('COPY --from=build', accepted));
  assert.ok(!textMatches('COPY --from=builder /out/app /app', accepted), 'another stage name');
  assert.ok(!textMatches('COPY /out/app /app', accepted));
  assert.ok(!textMatches('COPY --from=build /out/app /app', ['COPY --from=build']), 'without the open end the answer is exact');
});
