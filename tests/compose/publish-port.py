"""Publishes a port of a container's network namespace on the host, as Docker's userland proxy does.

    python3 publish-port.py CONTAINER_PORT

The compose tier's stand-in for Docker's port publishing (tests/compose/override.yml says why).
It takes a free port on the host's 127.0.0.1 at once and prints `listening PORT`, so the port is
held from before the containers are made; then it reads the PID of a process in the container's
network namespace from stdin, enters that namespace (setns, which needs root, as Docker does),
prints `published`, and forwards every connection to 127.0.0.1:CONTAINER_PORT there until it is
terminated.
"""

import asyncio
import ctypes
import os
import socket
import sys

CLONE_NEWNET = 0x40000000


def enter_netns(pid: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns into the network namespace of process {pid}: {os.strerror(err)}")
    finally:
        os.close(fd)


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        writer.close()


async def serve(listener: socket.socket, container_port: int) -> None:
    loop = asyncio.get_running_loop()

    async def handle(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        # Made on this, the only thread, after setns: the socket lives in the container's namespace.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, ("127.0.0.1", container_port))
        except OSError:
            sock.close()
            client_writer.close()
            return
        reader, writer = await asyncio.open_connection(sock=sock)
        await asyncio.gather(pipe(client_reader, writer), pipe(reader, client_writer))
        writer.close()
        client_writer.close()

    server = await asyncio.start_server(handle, sock=listener)
    print("published", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    container_port = int(sys.argv[1])
    # Made before setns, so it stays on the host's loopback; connections wait in its backlog
    # until the forwarding starts.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    print(f"listening {listener.getsockname()[1]}", flush=True)
    line = sys.stdin.readline()
    if not line.strip():
        sys.exit("no PID on stdin: nothing to publish")
    enter_netns(int(line))
    asyncio.run(serve(listener, container_port))


if __name__ == "__main__":
    main()
