/*
 * Minimal HotSpot disassembler plugin on Capstone, so `-XX:+PrintAssembly` / `-XX:CompileCommand=print,...`
 * show the machine code C2 generates for our Vector API kernels (the JDK does not ship hsdis).
 *
 *   apt-get install -y libcapstone-dev
 *   gcc -O2 -shared -fPIC -o hsdis-amd64.so bench/hsdis/hsdis-capstone.c -lcapstone
 *   LD_LIBRARY_PATH=$PWD java -XX:+UnlockDiagnosticVMOptions \
 *       -XX:CompileCommand=print,io.flinkclip.kernels.MicroKernel::tile ...
 *
 * Capstone 4 (Debian 12) does not decode every EVEX instruction; undecodable bytes are skipped (".byte").
 */
#include <stdint.h>
#include <capstone/capstone.h>

typedef void *(*event_callback_t)(void *, const char *, void *);
typedef int (*printf_callback_t)(void *, const char *, ...);

/* The entry point HotSpot looks up in hsdis-<arch>.so. */
void *decode_instructions_virtual(uintptr_t start_va, uintptr_t end_va, unsigned char *buffer, uintptr_t length,
                                  event_callback_t event, void *event_stream, printf_callback_t print,
                                  void *print_stream, const char *options, int newline) {
    (void) start_va; (void) end_va; (void) options;
    csh handle;
    cs_insn *insn;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK) return NULL;
    cs_option(handle, CS_OPT_SKIPDATA, CS_OPT_ON);
    size_t count = cs_disasm(handle, buffer, length, (uintptr_t) buffer, 0, &insn);
    for (size_t i = 0; i < count; i++) {
        event(event_stream, "insn", (void *) insn[i].address);
        print(print_stream, "%s\t%s", insn[i].mnemonic, insn[i].op_str);
        event(event_stream, "/insn", (void *) (insn[i].address + insn[i].size));
        if (newline) print(print_stream, "\n");
    }
    if (count) cs_free(insn, count);
    cs_close(&handle);
    return NULL;
}
