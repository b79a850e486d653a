<?php
/**
 * Mail relay for the sidecar.
 *
 * @package BookingX\Addons\VideoConsultation
 */

namespace BookingX\Addons\VideoConsultation\Rest;

use BookingX\Addons\VideoConsultation\Sidecar\Config;
use BookingX\Addons\VideoConsultation\Sidecar\Jwt;
use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

/**
 * `POST video/internal/mail` (architecture §6): the sidecar sends its e-mails through wp_mail(),
 * so the site's SMTP plugin applies. Authenticated by the `X-BKX-Signature` HS256 JWT.
 */
class MailRelayRoute implements Route {

	/** Identifier of the resource. */
	const IDENTIFIER = 'internal-mail';

	/** Expected `iss` claim. */
	const ISSUER = 'bkx-video-sidecar';

	/** Expected `aud` claim. */
	const AUDIENCE = 'wordpress';

	/** Longest accepted token lifetime, and the tolerated clock skew, in seconds. */
	const MAX_TTL = 60;

	/** Option prefix of used jtis (claimed atomically, swept after a week). */
	const JTI_PREFIX = 'bkx_video_jti_';

	/** Option prefix of idempotency keys: `sending:<time>` while sending, then `sent:<time>`. */
	const SENT_PREFIX = 'bkx_video_mail_';

	/** Most recipients of one message. */
	const MAX_RECIPIENTS = 50;

	/** Most attachments of one message. */
	const MAX_ATTACHMENTS = 10;

	/** Largest decoded attachment, in bytes (10 MiB). */
	const MAX_ATTACHMENT_BYTES = 10485760;

	/**
	 * Connection settings (the shared secret).
	 *
	 * @var Config
	 */
	private $config;

	/**
	 * Plain-text alternative of the message being sent, for phpmailer_init.
	 *
	 * @var string
	 */
	private $alt_body = '';

	/**
	 * Content type of each attachment of the message being sent, by temp file path, for phpmailer_init.
	 *
	 * @var array<string, string>
	 */
	private $attachment_types = array();

	/**
	 * Reason of the last wp_mail() failure.
	 *
	 * @var string
	 */
	private $mail_error = '';

	/**
	 * Constructor.
	 *
	 * @param Config $config Connection settings.
	 */
	public function __construct( Config $config ) {
		$this->config = $config;
	}

	/**
	 * {@inheritDoc}
	 *
	 * @return array<string, array>
	 */
	public function get_routes(): array {
		return $this->internal_route( '/video/internal/mail' );
	}

	/**
	 * The route table of one sidecar-to-WordPress route: POST, public on purpose (the caller is the
	 * sidecar, authenticated by X-BKX-Signature in handle()).
	 *
	 * @param string $path Route path.
	 * @return array<string, array>
	 */
	protected function internal_route( string $path ): array {
		return array(
			$path => array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'handle' ),
					'permission_callback' => '__return_true',
				),
			),
		);
	}

	/**
	 * Runs `$work( $raw_body )` for a request the sidecar signed, else answers 401. Output is
	 * buffered and dropped: BookingX forces display_errors=1, and a notice printed meanwhile must
	 * not reach the JSON body.
	 *
	 * @param WP_REST_Request $request Incoming request.
	 * @param string          $what    Name of the route for the log.
	 * @param callable        $work    Receives the raw body; returns the answer.
	 * @return WP_REST_Response|WP_Error
	 */
	protected function handle_signed( WP_REST_Request $request, string $what, callable $work ) {
		$level = ob_get_level();
		ob_start();
		try {
			$raw      = (string) $request->get_body();
			$verified = $this->verify( (string) $request->get_header( 'x_bkx_signature' ), $raw );
			if ( is_wp_error( $verified ) ) {
				error_log( 'BookingX Video Consultation: ' . $what . ' rejected: ' . $verified->get_error_message() ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log
				return new WP_Error(
					'unauthenticated',
					__( 'The request signature is missing or invalid.', 'bookingx-video-consultation' ),
					array( 'status' => 401 )
				);
			}
			return $work( $raw );
		} finally {
			while ( ob_get_level() > $level ) {
				ob_end_clean();
			}
		}
	}

	/**
	 * Verifies, validates and sends one message.
	 *
	 * @param WP_REST_Request $request Incoming request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function handle( WP_REST_Request $request ) {
		return $this->handle_signed( $request, 'mail relay', array( $this, 'send_once' ) );
	}

	/**
	 * Sends a verified message once per idempotency key.
	 *
	 * @param string $raw Raw JSON body.
	 * @return WP_REST_Response|WP_Error
	 */
	public function send_once( string $raw ) {
		$mail = $this->validate( $raw );
		if ( is_wp_error( $mail ) ) {
			return $mail;
		}

		// Claim the key atomically (add_option is an INSERT that fails when the row exists), so a
		// retry that arrives while the first request is still inside wp_mail() cannot send twice.
		$sent_key = self::SENT_PREFIX . md5( $mail['idempotency_key'] );
		if ( ! $this->claim( $sent_key ) ) {
			$state = (string) get_option( $sent_key, '' );
			if ( 0 === strpos( $state, 'sent:' ) ) {
				return new WP_REST_Response( array( 'sent' => true, 'duplicate' => true ), 200 );
			}
			return new WP_Error(
				'conflict',
				__( 'This message is being sent by another request. Try again shortly.', 'bookingx-video-consultation' ),
				array( 'status' => 409 )
			);
		}

		$sent = $this->send( $mail );
		if ( is_wp_error( $sent ) ) {
			delete_option( $sent_key ); // Let the retry send it.
			return $sent;
		}

		update_option( $sent_key, 'sent:' . time(), false );
		return new WP_REST_Response( array( 'sent' => true, 'duplicate' => false ), 200 );
	}

	/**
	 * Checks the signature JWT: HS256, iss, aud, lifetime, body hash, and that the jti is new.
	 *
	 * @param string $header Value of X-BKX-Signature.
	 * @param string $raw    Raw body.
	 * @return true|WP_Error Error message for the log only.
	 */
	protected function verify( string $header, string $raw ) {
		$token = trim( preg_replace( '/^Bearer\s+/i', '', $header ) );
		if ( '' === $token ) {
			return new WP_Error( 'no_signature', 'no X-BKX-Signature header' );
		}
		$claims = Jwt::decode( $token, $this->config->secret() );
		if ( is_wp_error( $claims ) ) {
			return $claims;
		}

		$now = time();
		$aud = isset( $claims['aud'] ) ? (array) $claims['aud'] : array();
		$iat = isset( $claims['iat'] ) && is_numeric( $claims['iat'] ) ? (int) $claims['iat'] : null;
		$exp = isset( $claims['exp'] ) && is_numeric( $claims['exp'] ) ? (int) $claims['exp'] : null;
		$jti = isset( $claims['jti'] ) && is_string( $claims['jti'] ) ? $claims['jti'] : '';

		if ( ! isset( $claims['iss'] ) || self::ISSUER !== $claims['iss'] ) {
			return new WP_Error( 'bad_iss', 'wrong iss' );
		}
		if ( ! in_array( self::AUDIENCE, $aud, true ) ) {
			return new WP_Error( 'bad_aud', 'wrong aud' );
		}
		if ( null === $iat || null === $exp || $exp < $now || $exp - $iat > self::MAX_TTL || $iat > $now + self::MAX_TTL ) {
			return new WP_Error( 'bad_time', 'expired or over-long token' );
		}
		if ( ! isset( $claims['body_sha256'] ) || ! is_string( $claims['body_sha256'] ) || ! hash_equals( hash( 'sha256', $raw ), strtolower( $claims['body_sha256'] ) ) ) {
			return new WP_Error( 'bad_body', 'body hash mismatch' );
		}
		if ( strlen( $jti ) < 16 || strlen( $jti ) > 64 ) {
			return new WP_Error( 'bad_jti', 'missing jti' );
		}
		if ( ! $this->claim( self::JTI_PREFIX . md5( $jti ) ) ) {
			return new WP_Error( 'replay', 'jti seen before' );
		}
		return true;
	}

	/**
	 * Atomically marks a key as taken: the option row's INSERT fails when it exists. A claim left
	 * by a request that died while sending is taken over after ten minutes. Old rows are swept now
	 * and then (values begin with the UNIX time, so they compare as text).
	 *
	 * @param string $key Option name.
	 * @return bool True when this request took the key.
	 */
	protected function claim( string $key ): bool {
		global $wpdb;
		if ( 0 === wp_rand( 0, 49 ) ) {
			$wpdb->query( // phpcs:ignore WordPress.DB.DirectDatabaseQuery
				$wpdb->prepare(
					"DELETE FROM {$wpdb->options} WHERE ( option_name LIKE %s OR option_name LIKE %s ) AND SUBSTRING_INDEX( option_value, ':', -1 ) < %s",
					$wpdb->esc_like( self::SENT_PREFIX ) . '%',
					$wpdb->esc_like( self::JTI_PREFIX ) . '%',
					(string) ( time() - 7 * DAY_IN_SECONDS )
				)
			);
		}
		if ( add_option( $key, 'sending:' . time(), '', false ) ) {
			return true;
		}
		$state = (string) get_option( $key, '' );
		if ( 0 === strpos( $state, 'sending:' ) && (int) substr( $state, 8 ) < time() - 600 ) {
			update_option( $key, 'sending:' . time(), false );
			return true;
		}
		return false;
	}

	/**
	 * Parses and validates the body.
	 *
	 * @param string $raw Raw body.
	 * @return array|WP_Error `to`, `subject`, `html`, `text`, `attachments` (decoded), `idempotency_key`.
	 */
	private function validate( string $raw ) {
		$body = json_decode( $raw, true );
		if ( ! is_array( $body ) ) {
			return $this->invalid( array( '_' => __( 'The body must be a JSON object.', 'bookingx-video-consultation' ) ) );
		}

		$errors = array();
		$to     = isset( $body['to'] ) ? $body['to'] : null;
		if ( ! is_array( $to ) || array() === $to || count( $to ) > self::MAX_RECIPIENTS ) {
			$errors['to'] = __( 'Give between 1 and 50 recipients.', 'bookingx-video-consultation' );
		} else {
			foreach ( $to as $i => $address ) {
				if ( ! $this->is_recipient( $address ) ) {
					$errors[ 'to.' . $i ] = __( 'This is not a valid e-mail address.', 'bookingx-video-consultation' );
				}
			}
		}
		foreach ( array( 'subject', 'html', 'idempotency_key' ) as $field ) {
			if ( ! isset( $body[ $field ] ) || ! is_string( $body[ $field ] ) || '' === trim( $body[ $field ] ) ) {
				$errors[ $field ] = __( 'This field is required.', 'bookingx-video-consultation' );
			}
		}
		if ( isset( $body['subject'] ) && is_string( $body['subject'] ) && preg_match( '/[\r\n]/', $body['subject'] ) ) {
			$errors['subject'] = __( 'The subject must be a single line.', 'bookingx-video-consultation' );
		}
		if ( isset( $body['text'] ) && ! is_string( $body['text'] ) ) {
			$errors['text'] = __( 'This field must be text.', 'bookingx-video-consultation' );
		}
		if ( isset( $body['idempotency_key'] ) && is_string( $body['idempotency_key'] ) && strlen( $body['idempotency_key'] ) > 200 ) {
			$errors['idempotency_key'] = __( 'This field is too long.', 'bookingx-video-consultation' );
		}

		$attachments = array();
		if ( isset( $body['attachments'] ) ) {
			if ( ! is_array( $body['attachments'] ) || count( $body['attachments'] ) > self::MAX_ATTACHMENTS ) {
				$errors['attachments'] = __( 'Give at most 10 attachments.', 'bookingx-video-consultation' );
			} else {
				foreach ( $body['attachments'] as $i => $attachment ) {
					$filename = is_array( $attachment ) && isset( $attachment['filename'] ) && is_string( $attachment['filename'] ) ? sanitize_file_name( $attachment['filename'] ) : '';
					$content  = is_array( $attachment ) && isset( $attachment['content_base64'] ) && is_string( $attachment['content_base64'] )
						? base64_decode( $attachment['content_base64'], true ) // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_decode
						: false;
					if ( '' === $filename || ! isset( $attachment['content_type'] ) || ! is_string( $attachment['content_type'] ) ) {
						$errors[ 'attachments.' . $i ] = __( 'Each attachment needs a filename, a content type and base64 content.', 'bookingx-video-consultation' );
					} elseif ( ! self::is_content_type( $attachment['content_type'] ) ) {
						$errors[ 'attachments.' . $i . '.content_type' ] = __( 'The content type is not a valid MIME type.', 'bookingx-video-consultation' );
					} elseif ( false === $content || strlen( $content ) > self::MAX_ATTACHMENT_BYTES ) {
						$errors[ 'attachments.' . $i . '.content_base64' ] = __( 'The attachment content is not valid base64 or is too large.', 'bookingx-video-consultation' );
					} else {
						$attachments[] = array(
							'filename'     => $filename,
							'content_type' => $attachment['content_type'],
							'content'      => $content,
						);
					}
				}
			}
		}

		if ( array() !== $errors ) {
			return $this->invalid( $errors );
		}
		return array(
			'to'              => array_values( $to ),
			'subject'         => $body['subject'],
			'html'            => $body['html'],
			'text'            => isset( $body['text'] ) ? $body['text'] : '',
			'attachments'     => $attachments,
			'idempotency_key' => $body['idempotency_key'],
		);
	}

	/**
	 * Whether a recipient is an address or `Name <address>` (both forms wp_mail() accepts).
	 *
	 * @param mixed $recipient Recipient from the body.
	 * @return bool
	 */
	private function is_recipient( $recipient ): bool {
		if ( ! is_string( $recipient ) || preg_match( '/[\r\n,]/', $recipient ) ) {
			return false;
		}
		if ( preg_match( '/<([^<>]+)>\s*$/', $recipient, $matches ) ) {
			$recipient = $matches[1];
		}
		return false !== is_email( trim( $recipient ) );
	}

	/**
	 * Whether a value is a MIME type with optional parameters (`text/calendar; method=REQUEST; charset=UTF-8`).
	 * PHPMailer writes it into the part's header as it is, so nothing else (no line breaks) gets through.
	 *
	 * @param string $value Content type from the body.
	 * @return bool
	 */
	private static function is_content_type( string $value ): bool {
		$token   = '[A-Za-z0-9!#$&^_.+-]+';
		$pattern = '~^' . $token . '/' . $token . '(?:[ \t]*;[ \t]*' . $token . '=(?:' . $token . '|"[^"\\\\\r\n]*"))*\z~';
		return strlen( $value ) <= 200 && 1 === preg_match( $pattern, $value );
	}

	/**
	 * The 400 answer.
	 *
	 * @param array<string, string> $details Field → message.
	 * @return WP_Error
	 */
	private function invalid( array $details ): WP_Error {
		return new WP_Error(
			'invalid_request',
			__( 'Some details are missing or invalid.', 'bookingx-video-consultation' ),
			array(
				'status'  => 400,
				'details' => $details,
			)
		);
	}

	/**
	 * Writes attachments to a private temp folder, calls wp_mail() and cleans up.
	 *
	 * @param array $mail Validated message.
	 * @return true|WP_Error
	 */
	private function send( array $mail ) {
		$dir   = '';
		$files = array();
		if ( array() !== $mail['attachments'] ) {
			// One folder per message keeps the original file names, which wp_mail() on WP 6.1 uses as
			// attachment names.
			$dir = trailingslashit( get_temp_dir() ) . 'bkx-video-mail-' . wp_generate_password( 16, false );
			if ( ! wp_mkdir_p( $dir ) ) {
				return $this->mail_failed( 'cannot create a temp folder' );
			}
			foreach ( $mail['attachments'] as $attachment ) {
				$path = $dir . '/' . wp_unique_filename( $dir, $attachment['filename'] );
				if ( false === file_put_contents( $path, $attachment['content'] ) ) { // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_file_put_contents
					$this->cleanup( $dir, $files );
					return $this->mail_failed( 'cannot write an attachment' );
				}
				$files[]                         = $path;
				$this->attachment_types[ $path ] = $attachment['content_type'];
			}
		}

		$this->alt_body   = $mail['text'];
		$this->mail_error = '';
		add_action( 'phpmailer_init', array( $this, 'set_alt_body' ) );
		add_action( 'phpmailer_init', array( $this, 'set_attachment_types' ) );
		add_action( 'wp_mail_failed', array( $this, 'remember_failure' ) );
		try {
			$sent = wp_mail( $mail['to'], $mail['subject'], $mail['html'], array( 'Content-Type: text/html; charset=UTF-8' ), $files );
		} finally {
			remove_action( 'phpmailer_init', array( $this, 'set_alt_body' ) );
			remove_action( 'phpmailer_init', array( $this, 'set_attachment_types' ) );
			remove_action( 'wp_mail_failed', array( $this, 'remember_failure' ) );
			$this->attachment_types = array();
			$this->cleanup( $dir, $files );
		}

		return $sent ? true : $this->mail_failed( '' !== $this->mail_error ? $this->mail_error : 'wp_mail() returned false' );
	}

	/**
	 * Adds the plain-text alternative. Hooked on `phpmailer_init` while our message is sent.
	 *
	 * @param \PHPMailer\PHPMailer\PHPMailer $phpmailer Mailer.
	 * @return void
	 */
	public function set_alt_body( $phpmailer ): void {
		if ( '' !== $this->alt_body ) {
			$phpmailer->AltBody = $this->alt_body; // phpcs:ignore WordPress.NamingConventions.ValidVariableName.UsedPropertyNotSnakeCase
		}
	}

	/**
	 * Gives our attachments the content type the sidecar sent. wp_mail() attaches files by path, so
	 * PHPMailer guesses `text/calendar` from `.ics` and loses `method=REQUEST|CANCEL`, which iMIP
	 * (RFC 6047 §2.4) requires on the calendar part. Only when every attachment is one of ours, so
	 * another plugin's attachments are never touched. Hooked on `phpmailer_init` while our message is sent.
	 *
	 * @param \PHPMailer\PHPMailer\PHPMailer $phpmailer Mailer.
	 * @return void
	 */
	public function set_attachment_types( $phpmailer ): void {
		$current = $phpmailer->getAttachments();
		foreach ( $current as $attachment ) {
			if ( ! empty( $attachment[5] ) || ! isset( $this->attachment_types[ $attachment[0] ] ) ) {
				return;
			}
		}
		$phpmailer->clearAttachments();
		foreach ( $current as $attachment ) {
			// [0] path, [2] name, [3] encoding, [6] disposition: as wp_mail() added it, with our type.
			$phpmailer->addAttachment( $attachment[0], $attachment[2], $attachment[3], $this->attachment_types[ $attachment[0] ], $attachment[6] );
		}
	}

	/**
	 * Keeps wp_mail()'s failure reason. Hooked on `wp_mail_failed` while our message is sent.
	 *
	 * @param WP_Error $error Failure.
	 * @return void
	 */
	public function remember_failure( $error ): void {
		if ( is_wp_error( $error ) ) {
			$this->mail_error = $error->get_error_message();
		}
	}

	/**
	 * Deletes temp files and their folder.
	 *
	 * @param string   $dir   Folder ('' for none).
	 * @param string[] $files Files.
	 * @return void
	 */
	private function cleanup( string $dir, array $files ): void {
		foreach ( $files as $file ) {
			wp_delete_file( $file );
		}
		if ( '' !== $dir && is_dir( $dir ) ) {
			rmdir( $dir ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_rmdir
		}
	}

	/**
	 * The 500 answer when the message could not be handed to the mailer (the sidecar retries).
	 *
	 * @param string $reason Why, for the log.
	 * @return WP_Error
	 */
	private function mail_failed( string $reason ): WP_Error {
		error_log( 'BookingX Video Consultation: mail relay could not send: ' . $reason ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log
		return new WP_Error(
			'internal_error',
			__( 'The e-mail could not be sent.', 'bookingx-video-consultation' ),
			array( 'status' => 500 )
		);
	}
}
