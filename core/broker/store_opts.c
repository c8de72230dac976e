#include "broker/store_opts.h"

#include "util/err.h"

#include <arpa/inet.h>
#include <string.h>

int rmq_store_opts_from_conf(struct rmq_store_opts *o, const struct rmq_conf *c, char *err)
{
    const struct rmq_conf_store *s = &c->store;
    rmq_store_opts_default(o, s->root_dir);
    o->commitlog_dir = s->commitlog_dir;
    o->cq_dir = s->consumequeue_dir;
    o->index_dir = s->index_dir;
    o->checkpoint_path = s->checkpoint_path;
    o->abort_path = s->abort_path;
    o->cl_file_size = (size_t)s->commitlog_file_size;
    o->cq_file_size = (size_t)s->cq_file_size;
    o->index_enable = s->index_enable;
    o->index_slots = (uint32_t)s->max_hash_slot_num;
    o->index_max = (uint32_t)s->max_index_num;
    o->sync_flush = s->flush_disk_type == RMQ_FLUSH_SYNC;
    o->flush_interval_ms = s->flush_interval_ms;
    o->flush_cq_interval_ms = s->flush_interval_cq_ms;
    o->max_message_size = (size_t)s->max_message_size;
    o->record_crc = s->append_prop_crc;
    o->delete_when = s->delete_when;
    o->file_reserved_hours = s->file_reserved_hours;
    o->disk_max_used_ratio = s->disk_max_used_ratio;
    o->disk_clean_forcibly_ratio = s->disk_clean_forcibly_ratio;
    o->disk_warning_ratio = s->disk_warning_ratio;
    o->delay_level_ms = s->delay_level_ms;
    o->delay_levels = s->delay_levels;
    /* the store host is brokerIP1:listenPort, written into every record (PROTOCOL §4.2) */
    struct rmq_host *h = &o->store_host;
    h->port = c->net.listen_port;
    if (inet_pton(AF_INET, c->broker.ip1, h->ip) == 1) {
        h->ip_len = 4;
    } else if (inet_pton(AF_INET6, c->broker.ip1, h->ip) == 1) {
        h->ip_len = 16;
    } else {
        return rmq_seterr(err, RMQ_EINVAL, "brokerIP1 '%s' is not an IP address", c->broker.ip1);
    }
    return 0;
}
